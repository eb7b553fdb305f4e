/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "viv-guest-modules.h"

void
viv_desktop_register (VivGuest *guest)
{
}
