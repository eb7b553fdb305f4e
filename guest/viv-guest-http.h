/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Errors whose code is the HTTP status to answer with. */
#define VIV_HTTP_ERROR (viv_http_error_quark ())
GQuark      viv_http_error_quark        (void);

void        viv_http_reply_error        (SoupServerMessage  *msg,
                                         guint               status,
                                         const char         *format,
                                         ...) G_GNUC_PRINTF (3, 4);
void        viv_http_reply_gerror       (SoupServerMessage  *msg,
                                         const GError       *error);
guint       viv_http_status_for_error   (const GError       *error);
void        viv_http_reply_json         (SoupServerMessage  *msg,
                                         guint               status,
                                         JsonNode           *node);
void        viv_http_reply_object       (SoupServerMessage  *msg,
                                         guint               status,
                                         JsonObject         *object);
void        viv_http_reply_empty        (SoupServerMessage  *msg,
                                         guint               status);

/* Parses the request body as a JSON object. An empty body is an empty object. */
JsonObject *viv_http_read_json_object   (SoupServerMessage  *msg,
                                         GError            **error);

/* Typed members: a missing optional member leaves *out untouched; a member of the
 * wrong type or out of range is a 400 error naming it. */
gboolean    viv_json_get_int            (JsonObject         *object,
                                         const char         *name,
                                         gboolean            required,
                                         gint64              min,
                                         gint64              max,
                                         gint64             *out,
                                         GError            **error);
gboolean    viv_json_get_string         (JsonObject         *object,
                                         const char         *name,
                                         gboolean            required,
                                         const char        **out,
                                         GError            **error);
gboolean    viv_json_get_bool           (JsonObject         *object,
                                         const char         *name,
                                         gboolean            required,
                                         gboolean           *out,
                                         GError            **error);

/* RFC 3339 in UTC with milliseconds, from g_get_real_time () microseconds. */
char       *viv_format_time             (gint64              realtime_us);

G_END_DECLS
