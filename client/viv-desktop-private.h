/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "vivarium.h"

G_BEGIN_DECLS

/* A window of the guest's GET /desktop/windows answer. */
VivDesktopWindow *_viv_desktop_window_new_from_json       (JsonObject    *object,
                                            GError       **error);

/* Takes a takeover state (an answer, an event or a 423 body); notifies the
 * takeover-* properties that changed. */
void       _viv_desktop_set_takeover       (VivDesktop    *self,
                                            gboolean       held,
                                            const char    *holder,
                                            GDateTime     *since);
void       _viv_desktop_set_events_connected (VivDesktop  *self,
                                            gboolean       connected);
/* Emits the signals of one event of GET /desktop/events. */
void       _viv_desktop_dispatch_event     (VivDesktop    *self,
                                            const char    *type,
                                            JsonObject    *event);

/* Server-sent events: feeds @buffer's complete lines to the parser state,
 * calling @func for each complete event (type, data, id). Returns FALSE when
 * a line is longer than allowed. */
typedef struct
{
  GString *data;
  char    *type;
  char    *id;          /* the id field of the event being read */
  char    *last_id;     /* the last event id seen (for Last-Event-ID) */
  gboolean has_data;
} VivSseParser;

typedef void (*VivSseEventFunc) (const char *type,
                                 const char *data,
                                 const char *id,
                                 gpointer    user_data);

void       _viv_sse_parser_init            (VivSseParser  *parser);
void       _viv_sse_parser_clear           (VivSseParser  *parser);
/* Forgets a partly read event (the connection dropped in the middle). */
void       _viv_sse_parser_reset_event     (VivSseParser  *parser);
gboolean   _viv_sse_parser_feed            (VivSseParser  *parser,
                                            GByteArray    *buffer,
                                            VivSseEventFunc func,
                                            gpointer       user_data,
                                            GError       **error);

G_END_DECLS
