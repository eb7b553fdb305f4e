/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "viv-guest-http.h"
#include "viv-envd-files-private.h"

/* A file is read in chunks of this size, at most two of them waiting for the
 * socket at a time, so a download of any size holds about 512 KiB. */
#define CHUNK_SIZE (256 * 1024)
#define MAX_CHUNKS_IN_FLIGHT 2

typedef struct
{
  SoupServerMessage *msg;
  GCancellable      *cancellable;
  GInputStream      *stream;     /* the file, or the gzip of it */
  goffset            remaining;  /* bytes promised by Content-Length; -1 for chunked */
  guint              in_flight;
  gboolean           reading;
  gboolean           eof;
  gboolean           finished;   /* the message is done; never touch its I/O again */
  gulong             wrote_chunk_id;
  gulong             finished_id;
} Download;

static void
download_free (Download *download)
{
  if (download->msg != NULL)
    {
      g_clear_signal_handler (&download->wrote_chunk_id, download->msg);
      g_clear_signal_handler (&download->finished_id, download->msg);
    }
  g_cancellable_cancel (download->cancellable);
  g_clear_object (&download->cancellable);
  g_clear_object (&download->stream);
  g_clear_object (&download->msg);
  g_free (download);
}

static void read_next (Download *download);

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Download *download = user_data;
  SoupMessageBody *body;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  download->reading = FALSE;

  if (download->finished)
    {
      download_free (download);
      return;
    }

  body = soup_server_message_get_response_body (download->msg);

  if (bytes == NULL)
    {
      g_autoptr (GIOStream) connection = NULL;

      /* The headers are gone already; all that is left is to cut the
       * connection, so the client sees a short body, not a complete one. */
      g_warning ("Download failed midway: %s", error->message);
      g_clear_signal_handler (&download->wrote_chunk_id, download->msg);
      g_clear_signal_handler (&download->finished_id, download->msg);
      connection = soup_server_message_steal_connection (download->msg);
      g_io_stream_close (connection, NULL, NULL);
      download_free (download);
      return;
    }

  if (g_bytes_get_size (bytes) == 0)
    {
      download->eof = TRUE;
      soup_message_body_complete (body);
    }
  else
    {
      gsize size = g_bytes_get_size (bytes);

      if (download->remaining >= 0)
        {
          /* A file that grew since we sent its length is cut at that length. */
          if ((goffset) size >= download->remaining)
            {
              g_autoptr (GBytes) head = g_bytes_new_from_bytes (bytes, 0, download->remaining);

              g_clear_pointer (&bytes, g_bytes_unref);
              bytes = g_steal_pointer (&head);
              size = g_bytes_get_size (bytes);
              download->eof = TRUE;
            }
          download->remaining -= size;
        }

      if (size > 0)
        {
          soup_message_body_append_bytes (body, bytes);
          download->in_flight++;
        }
      if (download->eof)
        soup_message_body_complete (body);
    }

  soup_server_message_unpause (download->msg);
  read_next (download);
}

static void
read_next (Download *download)
{
  if (download->eof || download->reading || download->in_flight >= MAX_CHUNKS_IN_FLIGHT)
    return;

  download->reading = TRUE;
  /* GLocalFileInputStream is not pollable: the read runs on a worker thread. */
  g_input_stream_read_bytes_async (download->stream, CHUNK_SIZE, G_PRIORITY_DEFAULT,
                                   download->cancellable, read_cb, download);
}

static void
wrote_chunk_cb (SoupServerMessage *msg,
                gpointer           user_data)
{
  Download *download = user_data;

  if (download->in_flight > 0)
    download->in_flight--;
  read_next (download);
}

static void
finished_cb (SoupServerMessage *msg,
             gpointer           user_data)
{
  Download *download = user_data;

  download->finished = TRUE;
  g_clear_signal_handler (&download->wrote_chunk_id, msg);
  g_clear_signal_handler (&download->finished_id, msg);
  g_cancellable_cancel (download->cancellable);

  /* A read in progress frees it when it returns. */
  if (!download->reading)
    download_free (download);
}

static gboolean
is_coding (const char *coding,
           const char *name)
{
  return g_ascii_strcasecmp (coding, name) == 0 ||
         (strcmp (name, "gzip") == 0 && g_ascii_strcasecmp (coding, "x-gzip") == 0);
}

/* Picks gzip or identity from Accept-Encoding, in the client's order of
 * preference. Identity is acceptable unless refused with q=0, directly or
 * through "*" (RFC 9110 §12.5.3); when it is refused and gzip is not asked
 * for, the answer is 406 as envd gives. */
static gboolean
choose_encoding (SoupServerMessage  *msg,
                 gboolean           *gzip,
                 GError            **error)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *accept = soup_message_headers_get_list (headers, "Accept-Encoding");
  GSList *acceptable, *refused = NULL;
  gboolean identity_refused = FALSE;
  gboolean decided = FALSE;

  *gzip = FALSE;
  if (accept == NULL || *accept == '\0')
    return TRUE;

  acceptable = soup_header_parse_quality_list (accept, &refused);
  for (GSList *l = acceptable; l != NULL && !decided; l = l->next)
    {
      if (is_coding (l->data, "gzip"))
        *gzip = decided = TRUE;
      else if (is_coding (l->data, "identity") || strcmp (l->data, "*") == 0)
        decided = TRUE;
    }
  for (GSList *l = refused; l != NULL; l = l->next)
    if (is_coding (l->data, "identity") || strcmp (l->data, "*") == 0)
      identity_refused = TRUE;

  g_slist_free_full (acceptable, g_free);
  g_slist_free_full (refused, g_free);

  if (decided || !identity_refused)
    return TRUE;

  g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_NOT_ACCEPTABLE,
               "Unsupported Accept-Encoding “%s”: use gzip or identity", accept);
  return FALSE;
}

typedef struct
{
  SoupServerMessage *msg;
  char              *path;
  gboolean           gzip;
} OpenRequest;

static void
open_request_free (OpenRequest *request)
{
  g_clear_object (&request->msg);
  g_free (request->path);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OpenRequest, open_request_free)

static void
query_info_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (OpenRequest) request = user_data;
  g_autoptr (GFileInputStream) stream = g_object_ref (G_FILE_INPUT_STREAM (source));
  g_autoptr (GFileInfo) info = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL;
  g_autoptr (GHashTable) params = NULL;
  SoupMessageHeaders *headers;
  Download *download;

  info = g_file_input_stream_query_info_finish (stream, result, &error);
  if (info == NULL)
    {
      viv_http_reply_gerror (request->msg, error);
      soup_server_message_unpause (request->msg);
      return;
    }

  if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
    {
      viv_http_reply_error (request->msg, SOUP_STATUS_BAD_REQUEST,
                            "%s is a directory", request->path);
      soup_server_message_unpause (request->msg);
      return;
    }

  headers = soup_server_message_get_response_headers (request->msg);
  name = g_path_get_basename (request->path);
  params = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_insert (params, (gpointer) "filename", name);
  soup_message_headers_set_content_disposition (headers, "inline", params);
  soup_message_headers_set_content_type (headers, "application/octet-stream", NULL);
  soup_message_headers_append (headers, "Vary", "Accept-Encoding");
  soup_server_message_set_status (request->msg, SOUP_STATUS_OK, NULL);

  download = g_new0 (Download, 1);
  download->msg = g_object_ref (request->msg);
  download->cancellable = g_cancellable_new ();

  if (request->gzip)
    {
      g_autoptr (GZlibCompressor) compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, -1);

      soup_message_headers_replace (headers, "Content-Encoding", "gzip");
      soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
      download->stream = g_converter_input_stream_new (G_INPUT_STREAM (stream),
                                                       G_CONVERTER (compressor));
      download->remaining = -1;
    }
  else
    {
      download->remaining = g_file_info_get_size (info);
      soup_message_headers_set_content_length (headers, download->remaining);
      download->stream = G_INPUT_STREAM (g_steal_pointer (&stream));
    }

  if (strcmp (soup_server_message_get_method (request->msg), "HEAD") == 0)
    {
      soup_server_message_unpause (request->msg);
      download_free (download);
      return;
    }

  /* Written chunks are dropped instead of kept for a body nobody reads back. */
  soup_message_body_set_accumulate (soup_server_message_get_response_body (request->msg), FALSE);
  download->wrote_chunk_id = g_signal_connect (request->msg, "wrote-chunk",
                                               G_CALLBACK (wrote_chunk_cb), download);
  download->finished_id = g_signal_connect (request->msg, "finished",
                                            G_CALLBACK (finished_cb), download);
  read_next (download);
}

static void
file_read_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (OpenRequest) request = user_data;
  g_autoptr (GFileInputStream) stream = NULL;
  g_autoptr (GError) error = NULL;

  stream = g_file_read_finish (G_FILE (source), result, &error);
  if (stream == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        viv_http_reply_error (request->msg, SOUP_STATUS_NOT_FOUND,
                              "%s does not exist", request->path);
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY))
        viv_http_reply_error (request->msg, SOUP_STATUS_BAD_REQUEST,
                              "%s is a directory", request->path);
      else
        viv_http_reply_gerror (request->msg, error);
      soup_server_message_unpause (request->msg);
      return;
    }

  g_file_input_stream_query_info_async (stream, G_FILE_ATTRIBUTE_STANDARD_TYPE ","
                                        G_FILE_ATTRIBUTE_STANDARD_SIZE,
                                        G_PRIORITY_DEFAULT, NULL, query_info_cb,
                                        g_steal_pointer (&request));
}

static void
get_files_cb (VivGuest          *guest,
              SoupServerMessage *msg,
              const char        *tail,
              GHashTable        *query,
              gpointer           user_data)
{
  g_autoptr (VivEnvdUser) user = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) file = NULL;
  OpenRequest *request;
  const char *path = query ? g_hash_table_lookup (query, "path") : NULL;
  const char *username = query ? g_hash_table_lookup (query, "username") : NULL;
  g_autofree char *resolved = NULL;
  gboolean gzip;

  if (!_viv_envd_files_authorize (guest, msg, query, "read", &error))
    {
      viv_http_reply_gerror (msg, error);
      return;
    }

  user = viv_envd_user_lookup (guest, username, &error);
  if (user == NULL)
    {
      /* envd: an unknown user is unauthenticated. */
      viv_http_reply_error (msg, SOUP_STATUS_UNAUTHORIZED, "%s", error->message);
      return;
    }

  if (path == NULL || *path == '\0')
    {
      viv_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "The path parameter is required");
      return;
    }

  resolved = viv_envd_resolve_path (user, path, &error);
  if (resolved == NULL || !choose_encoding (msg, &gzip, &error))
    {
      viv_http_reply_gerror (msg, error);
      return;
    }

  request = g_new0 (OpenRequest, 1);
  request->msg = g_object_ref (msg);
  request->path = g_steal_pointer (&resolved);
  request->gzip = gzip;

  file = g_file_new_for_path (request->path);
  soup_server_message_pause (msg);
  g_file_read_async (file, G_PRIORITY_DEFAULT, NULL, file_read_cb, request);
}

void
_viv_envd_files_download_register (VivGuest *guest)
{
  viv_guest_add_route (guest, "GET", "/files", VIV_ROUTE_OWN_AUTH, get_files_cb, NULL);
}
