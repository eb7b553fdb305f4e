/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "viv-guest-modules.h"

gboolean
viv_display_start (VivGuest  *guest,
                   GError   **error)
{
  VivGuestDisplayConfig *config = viv_guest_get_display_config (guest);

  if (config->display != NULL && !config->attach)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           "Starting a display is not available yet; use --attach");
      return FALSE;
    }

  return TRUE;
}

void
viv_display_stop (VivGuest *guest)
{
}

void
viv_vnc_proxy_register (VivGuest *guest)
{
}
