/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <gio/gunixsocketaddress.h>

#include "viv-guest-http.h"
#include "viv-guest-private.h"

G_DEFINE_FINAL_TYPE (VivGuest, viv_guest, G_TYPE_OBJECT)

guint _viv_guest_signals[VIV_GUEST_N_SIGNALS];

static void
viv_route_free (gpointer data)
{
  VivRoute *route = data;

  g_free (route->method);
  g_free (route->path);
  g_free (route);
}

static const VivRoute *
find_route (VivGuest    *self,
            const char  *method,
            const char  *path,
            const char **tail,
            gboolean    *path_known)
{
  const VivRoute *best = NULL;
  gsize best_length = 0;

  *path_known = FALSE;

  for (guint i = 0; i < self->routes->len; i++)
    {
      const VivRoute *route = g_ptr_array_index (self->routes, i);
      gsize length = strlen (route->path);
      gboolean matches;

      if (route->flags & VIV_ROUTE_PREFIX)
        matches = strncmp (path, route->path, length) == 0;
      else
        matches = strcmp (path, route->path) == 0;

      if (!matches)
        continue;

      *path_known = TRUE;

      if (strcmp (route->method, method) != 0 && !(strcmp (method, "HEAD") == 0 &&
                                                   strcmp (route->method, "GET") == 0))
        continue;

      if (best == NULL || length > best_length)
        {
          best = route;
          best_length = length;
        }
    }

  if (best != NULL)
    *tail = path + best_length;

  return best;
}

gboolean
viv_guest_check_access_token (VivGuest          *self,
                              SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *token;

  g_return_val_if_fail (VIV_IS_GUEST (self), FALSE);

  if (self->access_token == NULL)
    return TRUE;

  token = soup_message_headers_get_one (headers, "X-Access-Token");
  if (token == NULL)
    return FALSE;

  /* Constant time, so the token cannot be guessed byte by byte. */
  {
    gsize a = strlen (token), b = strlen (self->access_token);
    guint8 diff = a != b;

    for (gsize i = 0; i < a; i++)
      diff |= (guint8) token[i] ^ (guint8) self->access_token[i % MAX (b, 1)];

    return diff == 0;
  }
}

static void
request_body_chunk_cb (SoupServerMessage *msg,
                       GBytes            *chunk,
                       gpointer           user_data)
{
  gsize *received = g_object_get_data (G_OBJECT (msg), "viv-body-received");

  *received += g_bytes_get_size (chunk);
  if (*received > VIV_GUEST_MAX_JSON_BODY)
    {
      /* Stop keeping what arrives; the handler answers 413. */
      soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
      soup_message_body_truncate (soup_server_message_get_request_body (msg));
    }
}

static void
early_handler_cb (SoupServer        *server,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  VivGuest *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const VivRoute *route;
  const char *tail;
  gboolean path_known;

  route = find_route (self, soup_server_message_get_method (msg), path, &tail, &path_known);
  if (route == NULL || (route->flags & VIV_ROUTE_STREAM_BODY))
    return;

  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (headers) > VIV_GUEST_MAX_JSON_BODY)
    {
      viv_http_reply_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                            "The request body is larger than %d bytes",
                            VIV_GUEST_MAX_JSON_BODY);
      return;
    }

  g_object_set_data_full (G_OBJECT (msg), "viv-body-received", g_new0 (gsize, 1), g_free);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (request_body_chunk_cb), NULL);
}

static void
handler_cb (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  VivGuest *self = user_data;
  SoupMessageHeaders *response_headers = soup_server_message_get_response_headers (msg);
  const char *method = soup_server_message_get_method (msg);
  const VivRoute *route;
  const char *tail = "";
  gsize *received;
  gboolean path_known;

  /* E2B's SDKs run in browsers too; envd allows any origin. */
  soup_message_headers_replace (response_headers, "Access-Control-Allow-Origin", "*");
  if (strcmp (method, "OPTIONS") == 0)
    {
      soup_message_headers_replace (response_headers, "Access-Control-Allow-Methods",
                                    "GET, POST, PUT, DELETE, OPTIONS");
      soup_message_headers_replace (response_headers, "Access-Control-Allow-Headers", "*");
      viv_http_reply_empty (msg, SOUP_STATUS_NO_CONTENT);
      return;
    }

  route = find_route (self, method, path, &tail, &path_known);
  if (route == NULL)
    {
      if (path_known)
        viv_http_reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
                              "%s is not allowed on %s", method, path);
      else
        viv_http_reply_error (msg, SOUP_STATUS_NOT_FOUND, "No such endpoint: %s", path);
      return;
    }

  if (!(route->flags & (VIV_ROUTE_PUBLIC | VIV_ROUTE_OWN_AUTH)) &&
      !viv_guest_check_access_token (self, msg))
    {
      viv_http_reply_error (msg, SOUP_STATUS_UNAUTHORIZED,
                            "A valid X-Access-Token header is required");
      return;
    }

  received = g_object_get_data (G_OBJECT (msg), "viv-body-received");
  if (received != NULL && *received > VIV_GUEST_MAX_JSON_BODY)
    {
      viv_http_reply_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                            "The request body is larger than %d bytes",
                            VIV_GUEST_MAX_JSON_BODY);
      return;
    }

  route->func (self, msg, tail, query, route->user_data);
}

static void
health_cb (VivGuest          *self,
           SoupServerMessage *msg,
           const char        *tail,
           GHashTable        *query,
           gpointer           user_data)
{
  viv_http_reply_empty (msg, SOUP_STATUS_NO_CONTENT);
}

static void
viv_guest_dispose (GObject *object)
{
  VivGuest *self = VIV_GUEST (object);

  if (self->server != NULL)
    soup_server_disconnect (self->server);
  g_clear_object (&self->server);

  G_OBJECT_CLASS (viv_guest_parent_class)->dispose (object);
}

static void
viv_guest_finalize (GObject *object)
{
  VivGuest *self = VIV_GUEST (object);
  VivGuestDisplayConfig *config = &self->display_config;

  _viv_guest_events_finalize (self);
  g_clear_pointer (&self->routes, g_ptr_array_unref);
  g_clear_pointer (&self->access_token, g_free);
  g_clear_pointer (&self->takeover_holder, g_free);
  g_clear_pointer (&config->display, g_free);
  g_clear_pointer (&config->session, g_free);
  g_clear_pointer (&config->vnc_socket, g_free);
  g_clear_pointer (&config->run_dir, g_free);

  G_OBJECT_CLASS (viv_guest_parent_class)->finalize (object);
}

static void
viv_guest_class_init (VivGuestClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = viv_guest_dispose;
  object_class->finalize = viv_guest_finalize;

  /**
   * VivGuest::event:
   * @type: the event type, such as "action" or "takeover"
   * @event: the whole event object, as published on the stream
   */
  _viv_guest_signals[VIV_GUEST_SIGNAL_EVENT] =
    g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  G_TYPE_STRING, JSON_TYPE_OBJECT);

  _viv_guest_signals[VIV_GUEST_SIGNAL_TAKEOVER_CHANGED] =
    g_signal_new ("takeover-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
viv_guest_init (VivGuest *self)
{
  self->routes = g_ptr_array_new_with_free_func (viv_route_free);
  self->server = soup_server_new ("server-header", "vivarium-guest/" PACKAGE_VERSION " ", NULL);

  soup_server_add_early_handler (self->server, NULL, early_handler_cb, self, NULL);
  soup_server_add_handler (self->server, NULL, handler_cb, self, NULL);

  viv_guest_add_route (self, "GET", "/health", VIV_ROUTE_PUBLIC, health_cb, NULL);

  _viv_guest_events_init (self);
  _viv_guest_takeover_init (self);
}

VivGuest *
viv_guest_new (void)
{
  return g_object_new (VIV_TYPE_GUEST, NULL);
}

/**
 * viv_guest_listen:
 * @address: "unix:PATH" or "tcp:HOST:PORT"
 *
 * Starts serving on @address. A stale Unix socket file is replaced.
 */
gboolean
viv_guest_listen (VivGuest    *self,
                  const char  *address,
                  GError     **error)
{
  g_return_val_if_fail (VIV_IS_GUEST (self), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);

  if (g_str_has_prefix (address, "unix:"))
    {
      const char *path = address + strlen ("unix:");
      g_autoptr (GSocket) socket = NULL;
      g_autoptr (GSocketAddress) socket_address = NULL;
      g_autofree char *temporary = NULL;

      if (*path == '\0')
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "“%s” names no socket path", address);
          return FALSE;
        }

      if (g_unlink (path) != 0 && errno != ENOENT)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                       "Cannot replace %s: %s", path, g_strerror (errno));
          return FALSE;
        }

      socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                             G_SOCKET_PROTOCOL_DEFAULT, error);
      if (socket == NULL)
        return FALSE;

      /* Bind and listen under a temporary name and rename into place, so that
       * the socket file appears only once it accepts connections. */
      temporary = g_strdup_printf ("%s.%d.tmp", path, (int) getpid ());
      g_unlink (temporary);
      socket_address = g_unix_socket_address_new (temporary);
      if (!g_socket_bind (socket, socket_address, TRUE, error) ||
          !g_socket_listen (socket, error))
        return FALSE;

      /* The token is the real guard, but nobody else needs to connect. */
      if (g_chmod (temporary, 0600) != 0 || g_rename (temporary, path) != 0)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                       "Cannot set up %s: %s", path, g_strerror (errno));
          g_unlink (temporary);
          return FALSE;
        }

      return soup_server_listen_socket (self->server, socket, 0, error);
    }

  if (g_str_has_prefix (address, "tcp:"))
    {
      const char *host_port = address + strlen ("tcp:");
      g_autoptr (GSocketConnectable) connectable = NULL;
      g_autoptr (GSocketAddressEnumerator) enumerator = NULL;
      g_autoptr (GSocketAddress) socket_address = NULL;

      connectable = g_network_address_parse (host_port, 0, error);
      if (connectable == NULL)
        return FALSE;

      enumerator = g_socket_connectable_enumerate (connectable);
      socket_address = g_socket_address_enumerator_next (enumerator, NULL, error);
      if (socket_address == NULL)
        return FALSE;

      return soup_server_listen (self->server, socket_address, 0, error);
    }

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "Cannot listen on “%s”: use unix:PATH or tcp:HOST:PORT", address);
  return FALSE;
}

SoupServer *
viv_guest_get_server (VivGuest *self)
{
  g_return_val_if_fail (VIV_IS_GUEST (self), NULL);

  return self->server;
}

void
viv_guest_set_access_token (VivGuest   *self,
                            const char *token)
{
  g_return_if_fail (VIV_IS_GUEST (self));

  g_free (self->access_token);
  self->access_token = (token != NULL && *token != '\0') ? g_strdup (token) : NULL;
}

const char *
viv_guest_get_access_token (VivGuest *self)
{
  g_return_val_if_fail (VIV_IS_GUEST (self), NULL);

  return self->access_token;
}

VivGuestDisplayConfig *
viv_guest_get_display_config (VivGuest *self)
{
  g_return_val_if_fail (VIV_IS_GUEST (self), NULL);

  return &self->display_config;
}

/**
 * viv_guest_add_route:
 * @method: "GET", "POST", "PUT" or "DELETE"
 * @path: the exact path, or with %VIV_ROUTE_PREFIX a prefix ending in "/"
 *
 * Serves @method on @path with @func. Every route needs the access token unless
 * it is %VIV_ROUTE_PUBLIC or checks credentials itself (%VIV_ROUTE_OWN_AUTH).
 */
void
viv_guest_add_route (VivGuest      *self,
                     const char    *method,
                     const char    *path,
                     VivRouteFlags  flags,
                     VivRouteFunc   func,
                     gpointer       user_data)
{
  VivRoute *route;

  g_return_if_fail (VIV_IS_GUEST (self));
  g_return_if_fail (method != NULL && path != NULL && func != NULL);

  route = g_new0 (VivRoute, 1);
  route->method = g_strdup (method);
  route->path = g_strdup (path);
  route->flags = flags;
  route->func = func;
  route->user_data = user_data;
  g_ptr_array_add (self->routes, route);
}
