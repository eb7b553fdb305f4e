/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "viv-error.h"
#include "viv-json-private.h"

JsonNode *
_viv_json_parse (GBytes  *body,
                 GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) local_error = NULL;
  const char *data;
  gsize size = 0;

  data = body ? g_bytes_get_data (body, &size) : NULL;
  if (size == 0)
    {
      g_set_error_literal (error, VIV_ERROR, VIV_ERROR_PROTOCOL,
                           "The server sent an empty answer where JSON was expected");
      return NULL;
    }

  if (!g_utf8_validate (data, size, NULL))
    {
      g_set_error_literal (error, VIV_ERROR, VIV_ERROR_PROTOCOL,
                           "The server's answer is not text (invalid UTF-8)");
      return NULL;
    }

  if (!json_parser_load_from_data (parser, data, size, &local_error))
    {
      if (size > 0 && data[0] == '<')
        g_set_error_literal (error, VIV_ERROR, VIV_ERROR_PROTOCOL,
                             "The server answered with an HTML page instead of JSON");
      else
        g_set_error (error, VIV_ERROR, VIV_ERROR_PROTOCOL,
                     "The server's answer is not valid JSON: %s", local_error->message);
      return NULL;
    }

  if (json_parser_get_root (parser) == NULL)
    {
      g_set_error_literal (error, VIV_ERROR, VIV_ERROR_PROTOCOL,
                           "The server's answer holds no JSON value");
      return NULL;
    }

  return json_parser_steal_root (parser);
}

JsonObject *
_viv_json_parse_object (GBytes  *body,
                        GError **error)
{
  g_autoptr (JsonNode) node = _viv_json_parse (body, error);

  if (node == NULL)
    return NULL;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, VIV_ERROR, VIV_ERROR_PROTOCOL,
                           "The server's answer is not a JSON object");
      return NULL;
    }

  return json_node_dup_object (node);
}

JsonArray *
_viv_json_parse_array (GBytes  *body,
                       GError **error)
{
  g_autoptr (JsonNode) node = _viv_json_parse (body, error);

  if (node == NULL)
    return NULL;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error_literal (error, VIV_ERROR, VIV_ERROR_PROTOCOL,
                           "The server's answer is not a JSON array");
      return NULL;
    }

  return json_node_dup_array (node);
}

/* The member, or NULL when it is absent or null; FALSE on a missing required one. */
static gboolean
lookup (JsonObject  *object,
        const char  *name,
        gboolean     required,
        JsonNode   **out,
        GError     **error)
{
  JsonNode *member = json_object_get_member (object, name);

  if (member != NULL && JSON_NODE_HOLDS_NULL (member))
    member = NULL;

  if (member == NULL && required)
    {
      g_set_error (error, VIV_ERROR, VIV_ERROR_PROTOCOL,
                   "The server's answer lacks “%s”", name);
      return FALSE;
    }

  *out = member;
  return TRUE;
}

static gboolean
wrong_type (const char  *name,
            const char  *expected,
            GError     **error)
{
  g_set_error (error, VIV_ERROR, VIV_ERROR_PROTOCOL,
               "In the server's answer, “%s” is not %s", name, expected);
  return FALSE;
}

static gboolean
holds (JsonNode *node,
       GType     type)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

gboolean
_viv_json_get_string (JsonObject  *object,
                      const char  *name,
                      gboolean     required,
                      const char **out,
                      GError     **error)
{
  JsonNode *member;

  if (!lookup (object, name, required, &member, error))
    return FALSE;
  if (member == NULL)
    return TRUE;
  if (!holds (member, G_TYPE_STRING))
    return wrong_type (name, "a string", error);

  *out = json_node_get_string (member);
  return TRUE;
}

gboolean
_viv_json_get_int (JsonObject  *object,
                   const char  *name,
                   gboolean     required,
                   gint64      *out,
                   GError     **error)
{
  JsonNode *member;

  if (!lookup (object, name, required, &member, error))
    return FALSE;
  if (member == NULL)
    return TRUE;

  if (holds (member, G_TYPE_INT64))
    {
      *out = json_node_get_int (member);
      return TRUE;
    }

  if (holds (member, G_TYPE_DOUBLE))
    {
      double value = json_node_get_double (member);

      if (value != (double) (gint64) value)
        return wrong_type (name, "an integer", error);
      *out = (gint64) value;
      return TRUE;
    }

  /* proto3 JSON writes 64-bit integers as strings (spec §2.3). */
  if (holds (member, G_TYPE_STRING))
    {
      gint64 value;

      if (!g_ascii_string_to_signed (json_node_get_string (member), 10,
                                     G_MININT64, G_MAXINT64, &value, NULL))
        return wrong_type (name, "an integer", error);
      *out = value;
      return TRUE;
    }

  return wrong_type (name, "an integer", error);
}

gboolean
_viv_json_get_double (JsonObject  *object,
                      const char  *name,
                      gboolean     required,
                      double      *out,
                      GError     **error)
{
  JsonNode *member;

  if (!lookup (object, name, required, &member, error))
    return FALSE;
  if (member == NULL)
    return TRUE;
  if (!holds (member, G_TYPE_DOUBLE) && !holds (member, G_TYPE_INT64))
    return wrong_type (name, "a number", error);

  *out = json_node_get_double (member);
  return TRUE;
}

gboolean
_viv_json_get_bool (JsonObject  *object,
                    const char  *name,
                    gboolean     required,
                    gboolean    *out,
                    GError     **error)
{
  JsonNode *member;

  if (!lookup (object, name, required, &member, error))
    return FALSE;
  if (member == NULL)
    return TRUE;
  if (!holds (member, G_TYPE_BOOLEAN))
    return wrong_type (name, "a boolean", error);

  *out = json_node_get_boolean (member);
  return TRUE;
}

gboolean
_viv_json_get_time (JsonObject  *object,
                    const char  *name,
                    gboolean     required,
                    GDateTime  **out,
                    GError     **error)
{
  const char *text = NULL;
  GDateTime *time;

  if (!_viv_json_get_string (object, name, required, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;

  if (!(time = g_date_time_new_from_iso8601 (text, NULL)))
    return wrong_type (name, "an RFC 3339 time", error);

  g_clear_pointer (out, g_date_time_unref);
  *out = time;
  return TRUE;
}

gboolean
_viv_json_get_string_map (JsonObject  *object,
                          const char  *name,
                          gboolean     required,
                          GHashTable **out,
                          GError     **error)
{
  g_autoptr (GHashTable) map = NULL;
  JsonObjectIter iter;
  const char *key;
  JsonNode *member;
  JsonNode *value;

  if (!lookup (object, name, required, &member, error))
    return FALSE;

  map = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (member != NULL)
    {
      if (!JSON_NODE_HOLDS_OBJECT (member))
        return wrong_type (name, "an object of strings", error);

      json_object_iter_init (&iter, json_node_get_object (member));
      while (json_object_iter_next (&iter, &key, &value))
        {
          if (!holds (value, G_TYPE_STRING))
            return wrong_type (name, "an object of strings", error);
          g_hash_table_insert (map, g_strdup (key), g_strdup (json_node_get_string (value)));
        }
    }

  g_clear_pointer (out, g_hash_table_unref);
  *out = g_steal_pointer (&map);
  return TRUE;
}

gboolean
_viv_json_get_object (JsonObject  *object,
                      const char  *name,
                      gboolean     required,
                      JsonObject **out,
                      GError     **error)
{
  JsonNode *member;

  if (!lookup (object, name, required, &member, error))
    return FALSE;
  if (member == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (member))
    return wrong_type (name, "an object", error);

  *out = json_node_get_object (member);
  return TRUE;
}

gboolean
_viv_json_get_array (JsonObject  *object,
                     const char  *name,
                     gboolean     required,
                     JsonArray  **out,
                     GError     **error)
{
  JsonNode *member;

  if (!lookup (object, name, required, &member, error))
    return FALSE;
  if (member == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (member))
    return wrong_type (name, "an array", error);

  *out = json_node_get_array (member);
  return TRUE;
}

gboolean
_viv_json_get_strv (JsonObject  *object,
                    const char  *name,
                    gboolean     required,
                    GStrv       *out,
                    GError     **error)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  JsonArray *array = NULL;

  if (!_viv_json_get_array (object, name, required, &array, error))
    return FALSE;

  if (array != NULL)
    {
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);

          if (!holds (element, G_TYPE_STRING))
            return wrong_type (name, "an array of strings", error);
          g_strv_builder_add (builder, json_node_get_string (element));
        }
    }

  g_strfreev (*out);
  *out = g_strv_builder_end (builder);
  return TRUE;
}

JsonObject *
_viv_json_object_from_map (GHashTable *map)
{
  JsonObject *object = json_object_new ();
  GHashTableIter iter;
  gpointer key, value;

  if (map == NULL)
    return object;

  g_hash_table_iter_init (&iter, map);
  while (g_hash_table_iter_next (&iter, &key, &value))
    json_object_set_string_member (object, key, value);

  return object;
}

char *
_viv_json_object_to_string (JsonObject *object)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, object);
  return json_to_string (node, FALSE);
}
