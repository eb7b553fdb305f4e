/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "viv-error-private.h"

/* VIV_ERROR is an extended error domain: a VIV_ERROR_LOCKED (or CONFLICT)
 * error from a guest carries who holds the desktop and since when, so that
 * a caller can say "Ada took over 2 minutes ago" without another request. */
typedef struct
{
  char      *holder;
  GDateTime *since;
} VivErrorPrivate;

static void
viv_error_private_init (GError *error)
{
}

static VivErrorPrivate *
viv_error_get_private (const GError *error)
{
  /* The private data sits before the GError, aligned as GLib aligns it
   * (G_DEFINE_EXTENDED_ERROR does the same). */
  const gsize alignment = 2 * sizeof (gsize);
  const gsize size = (sizeof (VivErrorPrivate) + (alignment - 1)) & -alignment;

  return (VivErrorPrivate *) (((guint8 *) error) - size);
}

static void
viv_error_private_copy (const GError *src_error,
                        GError       *dest_error)
{
  const VivErrorPrivate *src = viv_error_get_private (src_error);
  VivErrorPrivate *dest = viv_error_get_private (dest_error);

  dest->holder = g_strdup (src->holder);
  dest->since = src->since ? g_date_time_ref (src->since) : NULL;
}

static void
viv_error_private_clear (GError *error)
{
  VivErrorPrivate *priv = viv_error_get_private (error);

  g_clear_pointer (&priv->holder, g_free);
  g_clear_pointer (&priv->since, g_date_time_unref);
}

GQuark
viv_error_quark (void)
{
  static GQuark quark;
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      quark = g_error_domain_register_static ("viv-error-quark", sizeof (VivErrorPrivate),
                                              viv_error_private_init,
                                              viv_error_private_copy,
                                              viv_error_private_clear);
      g_once_init_leave (&initialized, 1);
    }

  return quark;
}

/**
 * viv_error_get_holder:
 * @error: an error
 *
 * For a %VIV_ERROR_LOCKED error (an input call refused during a takeover)
 * or the %VIV_ERROR_CONFLICT of a refused takeover: who holds the desktop.
 *
 * Returns: (nullable): the holder's name, or %NULL when @error says nothing
 *   about a takeover
 */
const char *
viv_error_get_holder (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain != VIV_ERROR)
    return NULL;
  return viv_error_get_private (error)->holder;
}

/**
 * viv_error_get_since:
 * @error: an error
 *
 * Like [func@Viv.Error.get_holder]: since when the desktop is held.
 *
 * Returns: (nullable) (transfer none): when the takeover started
 */
GDateTime *
viv_error_get_since (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain != VIV_ERROR)
    return NULL;
  return viv_error_get_private (error)->since;
}

/* Takes the takeover members of a guest's error body ({"held","holder","since"}). */
static void
take_lock_details (GError     *error,
                   JsonObject *object)
{
  VivErrorPrivate *priv = viv_error_get_private (error);
  JsonNode *holder = json_object_get_member (object, "holder");
  JsonNode *since = json_object_get_member (object, "since");

  if (holder != NULL && JSON_NODE_HOLDS_VALUE (holder) &&
      json_node_get_value_type (holder) == G_TYPE_STRING)
    priv->holder = g_strdup (json_node_get_string (holder));
  if (since != NULL && JSON_NODE_HOLDS_VALUE (since) &&
      json_node_get_value_type (since) == G_TYPE_STRING)
    priv->since = g_date_time_new_from_iso8601 (json_node_get_string (since), NULL);
}

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

/* The JSON error body ({"code","message",...}) as an object, or NULL. */
static JsonObject *
json_error_object (GBytes *body)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  gsize size = 0;
  const char *data;

  if (body == NULL)
    return NULL;

  data = g_bytes_get_data (body, &size);
  if (size == 0 || !json_parser_load_from_data (parser, data, size, NULL))
    return NULL;

  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;

  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static const char *
json_error_message (JsonObject *object)
{
  JsonNode *member;

  if (object == NULL)
    return NULL;

  member = json_object_get_member (object, "message");
  if (member == NULL || !JSON_NODE_HOLDS_VALUE (member) ||
      json_node_get_value_type (member) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (member);
}

GError *
_viv_error_from_http (guint       status,
                      const char *content_type,
                      GBytes     *body)
{
  g_autoptr (JsonObject) object = json_error_object (body);
  const char *message = json_error_message (object);
  const char *phrase = soup_status_get_phrase (status);
  VivError code = code_for_status (status);
  GError *error;

  if (message != NULL && *message != '\0')
    error = g_error_new (VIV_ERROR, code, "%s", message);
  else if (content_type != NULL && g_str_has_prefix (content_type, "text/html"))
    error = g_error_new (VIV_ERROR, code,
                         "The server answered HTTP %u %s with an HTML page instead of an API response",
                         status, phrase ? phrase : "");
  else
    error = g_error_new (VIV_ERROR, code, "The server answered HTTP %u %s",
                         status, phrase ? phrase : "");

  if (object != NULL && (code == VIV_ERROR_LOCKED || code == VIV_ERROR_CONFLICT))
    take_lock_details (error, object);

  return error;
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
