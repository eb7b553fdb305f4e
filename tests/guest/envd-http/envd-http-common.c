/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "envd-http-common.h"

VivTestGuest *
envd_test_guest_start (void)
{
  VivTestGuest *guest = viv_test_guest_start (NULL, NULL);
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  struct sockaddr_un address = { .sun_family = AF_UNIX };

  /* The socket file appears at bind (), a moment before listen (): wait
   * until it takes connections, or the first request can be refused. */
  g_assert_cmpuint (strlen (guest->socket_path), <, sizeof address.sun_path);
  strcpy (address.sun_path, guest->socket_path);
  for (;;)
    {
      int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      gboolean connected = connect (fd, (struct sockaddr *) &address, sizeof address) == 0;

      close (fd);
      if (connected)
        return guest;
      if (g_get_monotonic_time () > deadline)
        g_error ("The guest does not listen on %s", guest->socket_path);
      g_usleep (5 * 1000);
    }
}

SoupSession *
envd_test_session_new (VivTestGuest *guest)
{
  SoupSession *session = viv_test_unix_session_new (guest->socket_path);

  soup_session_remove_feature_by_type (session, SOUP_TYPE_CONTENT_DECODER);
  soup_session_set_timeout (session, 300);
  return session;
}

char *
envd_test_files_path (const char *path,
                      const char *username)
{
  g_autofree char *escaped_path = g_uri_escape_string (path, NULL, FALSE);

  if (username != NULL)
    {
      g_autofree char *escaped_user = g_uri_escape_string (username, NULL, FALSE);

      return g_strdup_printf ("/files?path=%s&username=%s", escaped_path, escaped_user);
    }

  return g_strdup_printf ("/files?path=%s", escaped_path);
}

GBytes *
envd_test_request (SoupSession         *session,
                   VivTestGuest        *guest,
                   const char          *method,
                   const char          *path,
                   const char          *token,
                   const char          *content_type,
                   GBytes              *body,
                   guint               *status,
                   SoupMessageHeaders **response_headers,
                   ...)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  g_autofree char *uri = g_strconcat ("http://localhost", path, NULL);
  SoupMessageHeaders *headers;
  const char *name;
  GBytes *response;
  va_list args;

  msg = soup_message_new (method, uri);
  g_assert_nonnull (msg);
  headers = soup_message_get_request_headers (msg);

  if (token == NULL)
    token = guest->token;
  if (*token != '\0')
    soup_message_headers_replace (headers, "X-Access-Token", token);

  va_start (args, response_headers);
  while ((name = va_arg (args, const char *)) != NULL)
    soup_message_headers_append (headers, name, va_arg (args, const char *));
  va_end (args);

  if (body != NULL)
    soup_message_set_request_body_from_bytes (msg, content_type, body);

  response = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);

  if (status != NULL)
    *status = soup_message_get_status (msg);
  if (response_headers != NULL)
    *response_headers = soup_message_headers_ref (soup_message_get_response_headers (msg));

  return response;
}

/* The pattern stream. */

#define ENVD_TEST_TYPE_PATTERN_STREAM (envd_test_pattern_stream_get_type ())
G_DECLARE_FINAL_TYPE (EnvdTestPatternStream, envd_test_pattern_stream,
                      ENVD_TEST, PATTERN_STREAM, GInputStream)

struct _EnvdTestPatternStream
{
  GInputStream  parent_instance;
  guint64       size;
  guint64       position;
  guint64       state;
  GChecksum    *checksum;
};

G_DEFINE_FINAL_TYPE (EnvdTestPatternStream, envd_test_pattern_stream, G_TYPE_INPUT_STREAM)

static gssize
envd_test_pattern_stream_read (GInputStream  *stream,
                               void          *buffer,
                               gsize          count,
                               GCancellable  *cancellable,
                               GError       **error)
{
  EnvdTestPatternStream *self = ENVD_TEST_PATTERN_STREAM (stream);
  guint8 *out = buffer;
  gsize n;

  n = MIN (count, self->size - self->position);
  for (gsize i = 0; i < n; )
    {
      guint offset = (self->position + i) % 8;
      gsize take = MIN (8 - offset, n - i);

      /* A new xorshift64 word every eight bytes of the stream. */
      if (offset == 0)
        {
          self->state ^= self->state << 13;
          self->state ^= self->state >> 7;
          self->state ^= self->state << 17;
        }
      for (gsize j = 0; j < take; j++)
        out[i + j] = (self->state >> (8 * (offset + j))) & 0xff;
      i += take;
    }

  if (self->checksum != NULL)
    g_checksum_update (self->checksum, out, n);
  self->position += n;
  return n;
}

static void
envd_test_pattern_stream_finalize (GObject *object)
{
  EnvdTestPatternStream *self = ENVD_TEST_PATTERN_STREAM (object);

  g_clear_pointer (&self->checksum, g_checksum_free);
  G_OBJECT_CLASS (envd_test_pattern_stream_parent_class)->finalize (object);
}

static void
envd_test_pattern_stream_class_init (EnvdTestPatternStreamClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = envd_test_pattern_stream_finalize;
  G_INPUT_STREAM_CLASS (klass)->read_fn = envd_test_pattern_stream_read;
}

static void
envd_test_pattern_stream_init (EnvdTestPatternStream *self)
{
}

GInputStream *
envd_test_pattern_stream_new (guint64  size,
                              guint32  seed,
                              gboolean hash)
{
  EnvdTestPatternStream *self = g_object_new (ENVD_TEST_TYPE_PATTERN_STREAM, NULL);

  if (hash)
    self->checksum = g_checksum_new (G_CHECKSUM_SHA256);
  self->size = size;
  self->state = 0x9e3779b97f4a7c15ull ^ seed;
  return G_INPUT_STREAM (self);
}

char *
envd_test_pattern_stream_get_checksum (GInputStream *stream)
{
  EnvdTestPatternStream *self = ENVD_TEST_PATTERN_STREAM (stream);

  g_assert_cmpuint (self->position, ==, self->size);
  g_assert_nonnull (self->checksum);
  return g_strdup (g_checksum_get_string (self->checksum));
}

char *
envd_test_checksum_stream (GInputStream *stream,
                           gboolean      hash,
                           guint64      *size)
{
  g_autoptr (GChecksum) checksum = hash ? g_checksum_new (G_CHECKSUM_SHA256) : NULL;
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *buffer = g_malloc (1024 * 1024);
  gssize n;

  *size = 0;
  while ((n = g_input_stream_read (stream, buffer, 1024 * 1024, NULL, &error)) > 0)
    {
      if (checksum != NULL)
        g_checksum_update (checksum, buffer, n);
      *size += n;
    }
  g_assert_no_error (error);

  return checksum != NULL ? g_strdup (g_checksum_get_string (checksum)) : NULL;
}
