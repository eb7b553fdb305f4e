/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "viv-envd-filesystem.h"
#include "viv-envd-process.h"
#include "viv-guest-modules.h"

/* envd's Connect-RPC services (shared/spec/e2b-wire.md §2.3–2.5), framed by
 * viv-connect.c. */
void
viv_envd_rpc_register (VivGuest *guest)
{
  viv_envd_filesystem_register (guest);
  viv_envd_watch_register (guest);
  viv_envd_process_register (guest);
}
