/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "viv-guest.h"

G_BEGIN_DECLS

typedef struct
{
  char          *method;
  char          *path;
  VivRouteFlags  flags;
  VivRouteFunc   func;
  gpointer       user_data;
} VivRoute;

struct _VivGuest
{
  GObject                parent_instance;

  SoupServer            *server;
  char                  *access_token;
  GPtrArray             *routes;       /* of VivRoute */
  VivGuestDisplayConfig  display_config;

  /* events */
  guint64                next_event_id;
  GQueue                 recent_events; /* of char * (serialised), newest last */
  GPtrArray             *subscribers;   /* of SoupServerMessage, paused SSE streams */
  guint                  keepalive_source;

  /* takeover */
  char                  *takeover_holder;
  gint64                 takeover_since;
};

enum {
  VIV_GUEST_SIGNAL_EVENT,
  VIV_GUEST_SIGNAL_TAKEOVER_CHANGED,
  VIV_GUEST_N_SIGNALS
};

extern guint _viv_guest_signals[VIV_GUEST_N_SIGNALS];

void _viv_guest_events_init      (VivGuest *self);
void _viv_guest_events_finalize  (VivGuest *self);
void _viv_guest_takeover_init    (VivGuest *self);

G_END_DECLS
