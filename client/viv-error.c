/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "viv-error-private.h"

G_DEFINE_QUARK (viv-error-quark, viv_error)

static VivError
code_for_status (guint status)
{
  switch (status)
    {
    case 400: return VIV_ERROR_INVALID_ARGUMENT;
    case 401: return VIV_ERROR_UNAUTHENTICATED;
    case 403: return VIV_ERROR_PERMISSION_DENIED;
    case 404: return VIV_ERROR_NOT_FOUND;
    case 409: return VIV_ERROR_CONFLICT;
    case 423: return VIV_ERROR_LOCKED;
    case 429: return VIV_ERROR_RATE_LIMITED;
    case 501: return VIV_ERROR_NOT_SUPPORTED;
    /* E2B's proxy answers 502 when the sandbox is gone or timed out
     * (spec §5, envd HTTP errors). */
    case 502: return VIV_ERROR_TIMEOUT;
    case 503: return VIV_ERROR_UNAVAILABLE;
    case 504: return VIV_ERROR_TIMEOUT;
    case 507: return VIV_ERROR_NO_SPACE;
    default:  return VIV_ERROR_FAILED;
    }
}

/* The message of a JSON error body ({"code","message"}), or NULL. */
static char *
json_error_message (GBytes *body)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *object;
  JsonNode *member;
  gsize size = 0;
  const char *data;

  if (body == NULL)
    return NULL;

  data = g_bytes_get_data (body, &size);
  if (size == 0 || !json_parser_load_from_data (parser, data, size, NULL))
    return NULL;

  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;

  object = json_node_get_object (json_parser_get_root (parser));
  member = json_object_get_member (object, "message");
  if (member == NULL || !JSON_NODE_HOLDS_VALUE (member) ||
      json_node_get_value_type (member) != G_TYPE_STRING)
    return NULL;

  return g_strdup (json_node_get_string (member));
}

GError *
_viv_error_from_http (guint       status,
                      const char *content_type,
                      GBytes     *body)
{
  g_autofree char *message = json_error_message (body);
  const char *phrase = soup_status_get_phrase (status);
  VivError code = code_for_status (status);

  if (message != NULL && *message != '\0')
    return g_error_new (VIV_ERROR, code, "%s", message);

  if (content_type != NULL && g_str_has_prefix (content_type, "text/html"))
    return g_error_new (VIV_ERROR, code,
                        "The server answered HTTP %u %s with an HTML page instead of an API response",
                        status, phrase ? phrase : "");

  return g_error_new (VIV_ERROR, code, "The server answered HTTP %u %s",
                      status, phrase ? phrase : "");
}

static const struct {
  const char *name;
  VivError    code;
} connect_codes[] = {
  /* As the E2B SDK maps them (spec §5, envd RPC). */
  { "invalid_argument",    VIV_ERROR_INVALID_ARGUMENT },
  { "out_of_range",        VIV_ERROR_INVALID_ARGUMENT },
  { "unauthenticated",     VIV_ERROR_UNAUTHENTICATED },
  { "permission_denied",   VIV_ERROR_PERMISSION_DENIED },
  { "not_found",           VIV_ERROR_NOT_FOUND },
  { "already_exists",      VIV_ERROR_ALREADY_EXISTS },
  { "aborted",             VIV_ERROR_CONFLICT },
  { "failed_precondition", VIV_ERROR_CONFLICT },
  { "resource_exhausted",  VIV_ERROR_RATE_LIMITED },
  { "unavailable",         VIV_ERROR_TIMEOUT },
  { "deadline_exceeded",   VIV_ERROR_TIMEOUT },
  { "canceled",            VIV_ERROR_TIMEOUT },
  { "unimplemented",       VIV_ERROR_NOT_SUPPORTED },
};

GError *
_viv_error_from_connect (const char *code,
                         const char *message)
{
  VivError error_code = VIV_ERROR_FAILED;

  for (guint i = 0; i < G_N_ELEMENTS (connect_codes); i++)
    {
      if (g_strcmp0 (code, connect_codes[i].name) == 0)
        {
          error_code = connect_codes[i].code;
          break;
        }
    }

  if (message == NULL || *message == '\0')
    return g_error_new (VIV_ERROR, error_code, "The sandbox answered “%s”", code ? code : "unknown");

  return g_error_new (VIV_ERROR, error_code, "%s", message);
}

GError *
_viv_error_from_transport (GError *error)
{
  GError *mapped;

  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain == VIV_ERROR ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return error;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    mapped = g_error_new (VIV_ERROR, VIV_ERROR_TIMEOUT, "%s", error->message);
  else if (error->domain == G_IO_ERROR || error->domain == G_RESOLVER_ERROR ||
           error->domain == G_TLS_ERROR || error->domain == SOUP_SESSION_ERROR)
    mapped = g_error_new (VIV_ERROR, VIV_ERROR_UNAVAILABLE, "%s", error->message);
  else
    mapped = g_error_new (VIV_ERROR, VIV_ERROR_FAILED, "%s", error->message);

  g_error_free (error);
  return mapped;
}
