/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <X11/Xlib.h>

#include "viv-test-harness.h"

G_BEGIN_DECLS

/* A guest that starts its own Xvnc (--display) on a free display number. */
typedef struct
{
  VivTestGuest *guest;
  char         *display;    /* ":N" */
  char         *xauthority;
  char         *vnc_socket;
} VivTestDisplayGuest;

VivTestDisplayGuest *viv_test_display_guest_start  (const char          *session,
                                                    const char          *geometry);
void                 viv_test_display_guest_stop   (VivTestDisplayGuest *dg);
/* Polls GET /desktop/display until @check holds for it (a NULL check: until
 * "state" is "ready"); returns the last answer. */
JsonObject          *viv_test_display_wait         (VivTestDisplayGuest *dg,
                                                    gboolean           (*check) (JsonObject *state,
                                                                                 gpointer    data),
                                                    gpointer             data);
/* An X connection with the display's cookie. */
Display             *viv_test_display_open_x       (VivTestDisplayGuest *dg);
void                 viv_test_display_fill_root    (Display             *x,
                                                    gulong               rgb);

G_END_DECLS
