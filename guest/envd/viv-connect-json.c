/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>

#include "viv-connect.h"

/* Reading requests by proto3's JSON mapping
 * (https://protobuf.dev/programming-guides/json/): parsers must accept both the
 * canonical and the alternative forms, and null means the default value. */

static JsonNode *
get_member (JsonObject *object,
            const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;

  return node;
}

static gboolean
invalid (GError     **error,
         const char  *name,
         const char  *what)
{
  g_set_error (error, VIV_CONNECT_ERROR, VIV_CONNECT_INVALID_ARGUMENT,
               "Field “%s” must be %s", name, what);
  return FALSE;
}

static gboolean
holds_type (JsonNode *node,
            GType     type)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

gboolean
viv_connect_get_string (JsonObject  *object,
                        const char  *name,
                        const char **out,
                        GError     **error)
{
  JsonNode *node = get_member (object, name);

  if (node == NULL)
    return TRUE;
  if (!holds_type (node, G_TYPE_STRING))
    return invalid (error, name, "a string");

  *out = json_node_get_string (node);
  return TRUE;
}

gboolean
viv_connect_get_bool (JsonObject  *object,
                      const char  *name,
                      gboolean    *out,
                      GError     **error)
{
  JsonNode *node = get_member (object, name);

  if (node == NULL)
    return TRUE;
  if (!holds_type (node, G_TYPE_BOOLEAN))
    return invalid (error, name, "true or false");

  *out = json_node_get_boolean (node);
  return TRUE;
}

gboolean
viv_connect_get_int (JsonObject  *object,
                     const char  *name,
                     gint64       min,
                     gint64       max,
                     gint64      *out,
                     GError     **error)
{
  JsonNode *node = get_member (object, name);
  gint64 value;

  if (node == NULL)
    return TRUE;

  if (holds_type (node, G_TYPE_INT64))
    value = json_node_get_int (node);
  else if (holds_type (node, G_TYPE_DOUBLE) &&
           json_node_get_double (node) == (double) (gint64) json_node_get_double (node))
    value = (gint64) json_node_get_double (node);
  else if (holds_type (node, G_TYPE_STRING))
    {
      /* int64 and uint64 travel as strings. */
      if (!g_ascii_string_to_signed (json_node_get_string (node), 10, G_MININT64, G_MAXINT64,
                                     &value, NULL))
        return invalid (error, name, "an integer");
    }
  else
    return invalid (error, name, "an integer");

  if (value < min || value > max)
    {
      g_set_error (error, VIV_CONNECT_ERROR, VIV_CONNECT_INVALID_ARGUMENT,
                   "Field “%s” is %" G_GINT64_FORMAT ", outside %" G_GINT64_FORMAT
                   "..%" G_GINT64_FORMAT, name, value, min, max);
      return FALSE;
    }

  *out = value;
  return TRUE;
}

gboolean
viv_connect_get_enum (JsonObject         *object,
                      const char         *name,
                      const char * const *names,
                      guint               n_names,
                      gint               *out,
                      GError            **error)
{
  JsonNode *node = get_member (object, name);

  if (node == NULL)
    return TRUE;

  if (holds_type (node, G_TYPE_STRING))
    {
      const char *text = json_node_get_string (node);

      for (guint i = 0; i < n_names; i++)
        if (names[i] != NULL && strcmp (names[i], text) == 0)
          {
            *out = (gint) i;
            return TRUE;
          }

      g_set_error (error, VIV_CONNECT_ERROR, VIV_CONNECT_INVALID_ARGUMENT,
                   "Field “%s” has no value “%s”", name, text);
      return FALSE;
    }

  if (holds_type (node, G_TYPE_INT64))
    {
      gint64 number = json_node_get_int (node);

      if (number >= 0 && number < n_names && names[number] != NULL)
        {
          *out = (gint) number;
          return TRUE;
        }

      g_set_error (error, VIV_CONNECT_ERROR, VIV_CONNECT_INVALID_ARGUMENT,
                   "Field “%s” has no value %" G_GINT64_FORMAT, name, number);
      return FALSE;
    }

  return invalid (error, name, "an enum name or number");
}

gboolean
viv_connect_get_bytes (JsonObject  *object,
                       const char  *name,
                       GBytes     **out,
                       GError     **error)
{
  JsonNode *node = get_member (object, name);
  g_autofree char *text = NULL;
  gsize length, padded;
  guchar *data;
  gsize data_length = 0;

  if (node == NULL)
    return TRUE;
  if (!holds_type (node, G_TYPE_STRING))
    return invalid (error, name, "base64 text");

  /* Standard or URL-safe alphabet, with or without padding. */
  text = g_strdup (json_node_get_string (node));
  length = strlen (text);
  while (length > 0 && text[length - 1] == '=')
    text[--length] = '\0';

  for (gsize i = 0; i < length; i++)
    {
      if (text[i] == '-')
        text[i] = '+';
      else if (text[i] == '_')
        text[i] = '/';
      else if (!g_ascii_isalnum (text[i]) && text[i] != '+' && text[i] != '/')
        return invalid (error, name, "base64 text");
    }

  if (length % 4 == 1)
    return invalid (error, name, "base64 text");

  padded = (length + 3) / 4 * 4;
  text = g_realloc (text, padded + 1);
  for (gsize i = length; i < padded; i++)
    text[i] = '=';
  text[padded] = '\0';

  data = g_base64_decode (text, &data_length);
  *out = g_bytes_new_take (data, data_length);
  return TRUE;
}

gboolean
viv_connect_get_object (JsonObject  *object,
                        const char  *name,
                        JsonObject **out,
                        GError     **error)
{
  JsonNode *node = get_member (object, name);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return invalid (error, name, "an object");

  *out = json_node_get_object (node);
  return TRUE;
}

void
viv_connect_set_int64 (JsonObject *object,
                       const char *name,
                       gint64      value)
{
  g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, value);

  json_object_set_string_member (object, name, text);
}
