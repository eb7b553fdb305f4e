/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* What the command line said about the display; filled in by main.c and read by
 * the display supervisor. */
typedef struct
{
  char *display;     /* ":N", or NULL for no desktop at all */
  gboolean attach;   /* use an existing X server instead of starting Xvnc */
  char *session;     /* "openbox", "xfce" or "none" */
  int width;
  int height;
  char *vnc_socket;  /* the VNC Unix socket: ours when we start Xvnc, given with --attach */
  char *run_dir;     /* private directory for sockets and logs of what we start */
} VivGuestDisplayConfig;

typedef enum
{
  VIV_ROUTE_PUBLIC       = 1 << 0, /* no access token needed (GET /health) */
  VIV_ROUTE_PREFIX       = 1 << 1, /* path is a prefix: "/desktop/windows/" matches below it */
  VIV_ROUTE_STREAM_BODY  = 1 << 2, /* the handler reads the body itself; no size limit */
  VIV_ROUTE_OWN_AUTH     = 1 << 3, /* the handler checks credentials itself (signed URLs) */
} VivRouteFlags;

/* Largest JSON body accepted on routes that do not stream their body. */
#define VIV_GUEST_MAX_JSON_BODY (4 * 1024 * 1024)

#define VIV_TYPE_GUEST (viv_guest_get_type ())
G_DECLARE_FINAL_TYPE (VivGuest, viv_guest, VIV, GUEST, GObject)

/* A route handler. @path_tail is what follows the route's path for prefix routes
 * ("" otherwise). The handler either replies at once or pauses @msg. */
typedef void (*VivRouteFunc) (VivGuest          *guest,
                              SoupServerMessage *msg,
                              const char        *path_tail,
                              GHashTable        *query,
                              gpointer           user_data);

VivGuest                    *viv_guest_new                 (void);
gboolean                     viv_guest_listen              (VivGuest          *self,
                                                            const char        *address,
                                                            GError           **error);
SoupServer                  *viv_guest_get_server          (VivGuest          *self);
void                         viv_guest_set_access_token    (VivGuest          *self,
                                                            const char        *token);
const char                  *viv_guest_get_access_token    (VivGuest          *self);
gboolean                     viv_guest_check_access_token  (VivGuest          *self,
                                                            SoupServerMessage *msg);
VivGuestDisplayConfig       *viv_guest_get_display_config  (VivGuest          *self);
void                         viv_guest_add_route           (VivGuest          *self,
                                                            const char        *method,
                                                            const char        *path,
                                                            VivRouteFlags      flags,
                                                            VivRouteFunc       func,
                                                            gpointer           user_data);

/* Events: published on GET /desktop/events and as the "event" signal. @data is
 * an object with the event's own fields; "type", "time" and "id" are added. */
void                         viv_guest_emit_event          (VivGuest          *self,
                                                            const char        *type,
                                                            JsonObject        *data);

/* Takeover lock. */
gboolean                     viv_guest_takeover_is_held    (VivGuest          *self);
const char                  *viv_guest_takeover_get_holder (VivGuest          *self);
gboolean                     viv_guest_takeover_allows     (VivGuest          *self,
                                                            const char        *holder);
gboolean                     viv_guest_check_agent_input   (VivGuest          *self,
                                                            SoupServerMessage *msg);

G_END_DECLS
