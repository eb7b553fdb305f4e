/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Readers of server JSON that never trust it: a missing required member, a
 * member of the wrong type or a body that is not JSON is a VIV_ERROR_PROTOCOL
 * error naming what was wrong. A missing optional member leaves *out as is. */

JsonNode   *_viv_json_parse             (GBytes      *body,
                                         GError     **error);
JsonObject *_viv_json_parse_object      (GBytes      *body,
                                         GError     **error);
JsonArray  *_viv_json_parse_array       (GBytes      *body,
                                         GError     **error);
gboolean    _viv_json_get_string        (JsonObject  *object,
                                         const char  *name,
                                         gboolean     required,
                                         const char **out,
                                         GError     **error);
/* Integers, also as the decimal strings proto3 JSON uses for int64. */
gboolean    _viv_json_get_int           (JsonObject  *object,
                                         const char  *name,
                                         gboolean     required,
                                         gint64      *out,
                                         GError     **error);
gboolean    _viv_json_get_double        (JsonObject  *object,
                                         const char  *name,
                                         gboolean     required,
                                         double      *out,
                                         GError     **error);
gboolean    _viv_json_get_bool          (JsonObject  *object,
                                         const char  *name,
                                         gboolean     required,
                                         gboolean    *out,
                                         GError     **error);
/* RFC 3339 time; *out is replaced (and the old value unreffed). */
gboolean    _viv_json_get_time          (JsonObject  *object,
                                         const char  *name,
                                         gboolean     required,
                                         GDateTime  **out,
                                         GError     **error);
/* An object of strings (metadata, envVars) as a new hash table; null is empty. */
gboolean    _viv_json_get_string_map    (JsonObject  *object,
                                         const char  *name,
                                         gboolean     required,
                                         GHashTable **out,
                                         GError     **error);
gboolean    _viv_json_get_object        (JsonObject  *object,
                                         const char  *name,
                                         gboolean     required,
                                         JsonObject **out,
                                         GError     **error);
gboolean    _viv_json_get_array         (JsonObject  *object,
                                         const char  *name,
                                         gboolean     required,
                                         JsonArray  **out,
                                         GError     **error);
/* A string array (args, strv) as a new NULL-terminated vector. */
gboolean    _viv_json_get_strv          (JsonObject  *object,
                                         const char  *name,
                                         gboolean     required,
                                         GStrv       *out,
                                         GError     **error);
JsonObject *_viv_json_object_from_map   (GHashTable  *map);
char       *_viv_json_object_to_string  (JsonObject  *object);

G_END_DECLS
