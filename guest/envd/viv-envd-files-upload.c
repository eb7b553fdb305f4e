/* SPDX-License-Identifier: GPL-3.0-or-later */
/* memmem, O_TMPFILE */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "viv-guest-http.h"
#include "viv-envd-files-private.h"

/* POST /files streams its body to disk as it arrives (shared/spec/e2b-wire.md §2.2).
 *
 * libsoup accumulates a request body before calling handlers, so the chunks are
 * taken earlier: a "got-headers" handler on every message (connected from the
 * server's "request-started") recognises the upload, turns accumulation off and
 * hands each "got-chunk" to a writer thread, which parses, decompresses and
 * writes. The hand-off is bounded: past HIGH_WATER bytes queued the message is
 * paused, which in libsoup 3.2 stops reading the socket (io_run_until checks
 * io->paused between chunks, soup-server-io.c), and it is unpaused below
 * LOW_WATER. So an upload holds at most a few MiB whatever its size, and the
 * main loop never waits for the disk.
 *
 * Each file goes to an unnamed O_TMPFILE in its destination directory and is
 * linked and renamed over the destination only once complete and fsync'd: an
 * interrupted upload or a full disk leaves the old file and no temporary one. */

#define HIGH_WATER (4 * 1024 * 1024)
#define LOW_WATER  (1 * 1024 * 1024)
#define GZIP_OUTPUT_SIZE (256 * 1024)
/* libsoup hands the body over in 8 KiB chunks; gathered into bigger blocks
 * they cost the writer fewer wake-ups and write () calls. */
#define BLOCK_SIZE (256 * 1024)

/* Queue markers; everything else in the queue is a GBytes. */
static guint8 end_of_body_marker;
static guint8 abort_marker;

typedef struct
{
  char  *path;       /* the destination */
  int    fd;         /* the unnamed temporary file */
  char  *temp_path;  /* a named temporary file, where O_TMPFILE is not supported */
} FileSink;

typedef struct
{
  gatomicrefcount    ref_count;
  VivGuest          *guest;
  GMainContext      *context;
  GWeakRef           msg;

  /* Set from the headers, then read-only. */
  GError            *header_error;
  VivEnvdUser       *user;
  char              *path;       /* the `path` parameter, resolved; NULL for multipart names */
  char              *boundary;   /* multipart; NULL for a raw body */
  gboolean           gzip;
  GHashTable        *metadata;   /* X-Metadata-<name> → value */

  /* Shared between the main thread and the writer. */
  GMutex             lock;
  GAsyncQueue       *queue;
  gsize              queued_bytes;
  gboolean           paused;

  /* Main thread only. */
  GByteArray        *gather;     /* chunks not yet handed to the writer */
  gboolean           body_done;
  gboolean           finished;

  /* Writer only, until it hands them to the main thread. */
  GZlibDecompressor *decompressor;
  VivMultipartParser *parser;
  FileSink          *sink;
  gboolean           in_file_part;
  JsonArray         *written;
  GError            *error;
} Upload;

static Upload *
upload_ref (Upload *upload)
{
  g_atomic_ref_count_inc (&upload->ref_count);
  return upload;
}

static void
sink_abort (FileSink *sink)
{
  if (sink == NULL)
    return;

  if (sink->fd >= 0)
    close (sink->fd);
  if (sink->temp_path != NULL)
    unlink (sink->temp_path);
  g_free (sink->temp_path);
  g_free (sink->path);
  g_free (sink);
}

static void
queue_item_free (gpointer item)
{
  if (item != &end_of_body_marker && item != &abort_marker)
    g_bytes_unref (item);
}

static void
upload_unref (Upload *upload)
{
  if (!g_atomic_ref_count_dec (&upload->ref_count))
    return;

  g_clear_error (&upload->header_error);
  g_clear_pointer (&upload->user, viv_envd_user_free);
  g_free (upload->path);
  g_free (upload->boundary);
  g_clear_pointer (&upload->metadata, g_hash_table_unref);
  g_mutex_clear (&upload->lock);
  g_clear_pointer (&upload->queue, g_async_queue_unref);
  g_clear_pointer (&upload->gather, g_byte_array_unref);
  g_weak_ref_clear (&upload->msg);
  g_clear_pointer (&upload->context, g_main_context_unref);
  g_clear_object (&upload->decompressor);
  g_clear_pointer (&upload->parser, _viv_multipart_parser_free);
  g_clear_pointer (&upload->sink, sink_abort);
  g_clear_pointer (&upload->written, json_array_unref);
  g_clear_error (&upload->error);
  g_free (upload);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Upload, upload_unref)

static void
set_errno_error (GError     **error,
                 int          saved_errno,
                 const char  *what,
                 const char  *path)
{
  if (saved_errno == ENOSPC || saved_errno == EDQUOT)
    g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_INSUFFICIENT_STORAGE,
                 "Not enough disk space to write %s", path);
  else
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                 "Cannot %s %s: %s", what, path, g_strerror (saved_errno));
}

/* mkdir -p, each new directory owned by @user as envd does. */
static gboolean
make_parents (const VivEnvdUser  *user,
              const char         *directory,
              GError            **error)
{
  g_autofree char *parent = NULL;
  struct stat st;

  if (stat (directory, &st) == 0)
    {
      if (!S_ISDIR (st.st_mode))
        {
          g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
                       "%s is not a directory", directory);
          return FALSE;
        }
      return TRUE;
    }

  if (errno != ENOENT)
    {
      set_errno_error (error, errno, "look at", directory);
      return FALSE;
    }

  parent = g_path_get_dirname (directory);
  if (strcmp (parent, directory) != 0 && !make_parents (user, parent, error))
    return FALSE;

  if (mkdir (directory, 0755) != 0 && errno != EEXIST)
    {
      set_errno_error (error, errno, "create", directory);
      return FALSE;
    }

  if (geteuid () == 0 && chown (directory, user->uid, user->gid) != 0)
    {
      set_errno_error (error, errno, "give to its user", directory);
      return FALSE;
    }

  return TRUE;
}

static FileSink *
sink_open (const VivEnvdUser  *user,
           const char         *path,
           GError            **error)
{
  g_autofree char *directory = g_path_get_dirname (path);
  FileSink *sink;
  struct stat st;

  if (stat (path, &st) == 0 && S_ISDIR (st.st_mode))
    {
      g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
                   "%s is a directory", path);
      return NULL;
    }

  if (!make_parents (user, directory, error))
    return NULL;

  sink = g_new0 (FileSink, 1);
  sink->path = g_strdup (path);
  sink->fd = open (directory, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
  if (sink->fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL))
    {
      g_autofree char *base = g_path_get_basename (path);
      g_autofree char *template = g_strdup_printf (".%s.XXXXXX", base);

      sink->temp_path = g_build_filename (directory, template, NULL);
      sink->fd = g_mkstemp_full (sink->temp_path, O_WRONLY | O_CLOEXEC, 0644);
      if (sink->fd < 0)
        g_clear_pointer (&sink->temp_path, g_free);
    }

  if (sink->fd < 0)
    {
      set_errno_error (error, errno, "write to", directory);
      sink_abort (sink);
      return NULL;
    }

  return sink;
}

static gboolean
sink_write (FileSink      *sink,
            const guint8  *data,
            gsize          length,
            GError       **error)
{
  while (length > 0)
    {
      gssize written = write (sink->fd, data, length);

      if (written < 0)
        {
          if (errno == EINTR)
            continue;
          set_errno_error (error, errno, "write", sink->path);
          return FALSE;
        }

      data += written;
      length -= written;
    }

  return TRUE;
}

/* Gives the complete file its owner, mode and metadata, makes it durable and
 * puts it in place of the destination in one rename. */
static gboolean
sink_commit (FileSink           *sink,
             const VivEnvdUser  *user,
             GHashTable         *metadata,
             GError            **error)
{
  g_autofree char *directory = g_path_get_dirname (sink->path);
  g_autofree char *linked = NULL;
  mode_t mode = 0644;
  struct stat st;
  GHashTableIter iter;
  gpointer key, value;
  int directory_fd;

  /* Overwriting keeps the mode the file had, as writing in place would. */
  if (stat (sink->path, &st) == 0)
    mode = st.st_mode & 07777;

  if ((geteuid () == 0 && fchown (sink->fd, user->uid, user->gid) != 0) ||
      fchmod (sink->fd, mode) != 0)
    {
      set_errno_error (error, errno, "set the owner of", sink->path);
      return FALSE;
    }

  if (metadata != NULL)
    {
      g_hash_table_iter_init (&iter, metadata);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          g_autofree char *name = g_strconcat ("user.", key, NULL);

          if (fsetxattr (sink->fd, name, value, strlen (value), 0) != 0)
            {
              set_errno_error (error, errno, "set metadata on", sink->path);
              return FALSE;
            }
        }
    }

  if (fsync (sink->fd) != 0)
    {
      set_errno_error (error, errno, "write", sink->path);
      return FALSE;
    }

  if (sink->temp_path == NULL)
    {
      /* An O_TMPFILE has no name until linked; link it under a hidden name
       * and rename that over the destination, which replaces atomically. */
      g_autofree char *proc_path = g_strdup_printf ("/proc/self/fd/%d", sink->fd);
      g_autofree char *base = g_path_get_basename (sink->path);

      for (guint attempt = 0; ; attempt++)
        {
          g_free (linked);
          linked = g_strdup_printf ("%s/.%s.%08x", directory, base, g_random_int ());
          if (linkat (AT_FDCWD, proc_path, AT_FDCWD, linked, AT_SYMLINK_FOLLOW) == 0)
            break;
          if (errno != EEXIST || attempt > 16)
            {
              set_errno_error (error, errno, "write", sink->path);
              return FALSE;
            }
        }
      sink->temp_path = g_strdup (linked);
    }

  if (rename (sink->temp_path, sink->path) != 0)
    {
      set_errno_error (error, errno, "replace", sink->path);
      return FALSE;
    }
  g_clear_pointer (&sink->temp_path, g_free);

  /* The rename itself must reach the disk too. */
  directory_fd = open (directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (directory_fd >= 0)
    {
      fsync (directory_fd);
      close (directory_fd);
    }

  return TRUE;
}

/* Writer thread: a file part or the raw body. */

static gboolean
begin_file (Upload      *upload,
            const char  *path,
            GError     **error)
{
  g_assert (upload->sink == NULL);

  upload->sink = sink_open (upload->user, path, error);
  return upload->sink != NULL;
}

static gboolean
end_file (Upload  *upload,
          GError **error)
{
  g_autoptr (JsonObject) entry = NULL;
  g_autofree char *name = NULL;
  FileSink *sink = upload->sink;

  if (!sink_commit (sink, upload->user, upload->metadata, error))
    return FALSE;

  name = g_path_get_basename (sink->path);
  entry = json_object_new ();
  json_object_set_string_member (entry, "name", name);
  json_object_set_string_member (entry, "type", "file");
  json_object_set_string_member (entry, "path", sink->path);
  if (upload->metadata != NULL && g_hash_table_size (upload->metadata) > 0)
    {
      JsonObject *metadata = json_object_new ();
      GHashTableIter iter;
      gpointer key, value;

      g_hash_table_iter_init (&iter, upload->metadata);
      while (g_hash_table_iter_next (&iter, &key, &value))
        json_object_set_string_member (metadata, key, value);
      json_object_set_object_member (entry, "metadata", metadata);
    }
  json_array_add_object_element (upload->written, g_steal_pointer (&entry));

  g_clear_pointer (&upload->sink, sink_abort);
  return TRUE;
}

static gboolean
part_begin_cb (gpointer             user_data,
               SoupMessageHeaders  *headers,
               GError             **error)
{
  Upload *upload = user_data;
  g_autoptr (GHashTable) params = NULL;
  g_autofree char *resolved = NULL;
  const char *disposition, *name, *filename;

  upload->in_file_part = FALSE;
  /* Not soup_message_headers_get_content_disposition (): it strips the
   * directories from filename, and here the filename is the destination. */
  disposition = soup_message_headers_get_one (headers, "Content-Disposition");
  if (disposition == NULL)
    return TRUE;
  params = soup_header_parse_semi_param_list (disposition);

  /* envd writes the parts named "file" and skips other form fields. */
  name = g_hash_table_lookup (params, "name");
  if (g_strcmp0 (name, "file") != 0)
    return TRUE;

  filename = g_hash_table_lookup (params, "filename");
  if (upload->path != NULL)
    resolved = g_strdup (upload->path);
  else if (filename != NULL && *filename != '\0')
    resolved = viv_envd_resolve_path (upload->user, filename, error);
  else
    g_set_error_literal (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
                         "A file part needs a filename when the path parameter is absent");
  if (resolved == NULL || !begin_file (upload, resolved, error))
    return FALSE;

  upload->in_file_part = TRUE;
  return TRUE;
}

static gboolean
part_data_cb (gpointer       user_data,
              const guint8  *data,
              gsize          length,
              GError       **error)
{
  Upload *upload = user_data;

  return !upload->in_file_part || sink_write (upload->sink, data, length, error);
}

static gboolean
part_end_cb (gpointer   user_data,
             GError   **error)
{
  Upload *upload = user_data;

  if (!upload->in_file_part)
    return TRUE;

  upload->in_file_part = FALSE;
  return end_file (upload, error);
}

static const VivMultipartCallbacks multipart_callbacks = {
  part_begin_cb,
  part_data_cb,
  part_end_cb,
};

static gboolean
consume_plain (Upload        *upload,
               const guint8  *data,
               gsize          length,
               GError       **error)
{
  if (upload->parser != NULL)
    return _viv_multipart_parser_feed (upload->parser, data, length, error);

  return sink_write (upload->sink, data, length, error);
}

static gboolean
consume (Upload        *upload,
         const guint8  *data,
         gsize          length,
         gboolean       at_end,
         GError       **error)
{
  g_autofree guint8 *output = NULL;

  if (upload->decompressor == NULL)
    return consume_plain (upload, data, length, error);

  output = g_malloc (GZIP_OUTPUT_SIZE);
  for (;;)
    {
      g_autoptr (GError) local_error = NULL;
      gsize bytes_read = 0, bytes_written = 0;
      GConverterResult result;

      result = g_converter_convert (G_CONVERTER (upload->decompressor), data, length,
                                    output, GZIP_OUTPUT_SIZE,
                                    at_end ? G_CONVERTER_INPUT_AT_END : G_CONVERTER_NO_FLAGS,
                                    &bytes_read, &bytes_written, &local_error);
      if (result == G_CONVERTER_ERROR)
        {
          /* zlib keeps partial input itself; this only means "send more". */
          if (!at_end && g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT))
            return TRUE;
          g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
                       "The gzip body cannot be decompressed: %s", local_error->message);
          return FALSE;
        }

      if (bytes_written > 0 && !consume_plain (upload, output, bytes_written, error))
        return FALSE;

      data += bytes_read;
      length -= bytes_read;

      if (result == G_CONVERTER_FINISHED)
        return TRUE;
      if (length == 0 && !at_end)
        return TRUE;
      if (bytes_read == 0 && bytes_written == 0 && at_end)
        {
          g_set_error_literal (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
                               "The gzip body is truncated");
          return FALSE;
        }
    }
}

static gboolean
finish (Upload  *upload,
        GError **error)
{
  if (upload->decompressor != NULL && !consume (upload, NULL, 0, TRUE, error))
    return FALSE;

  if (upload->parser != NULL)
    return _viv_multipart_parser_finish (upload->parser, error);

  return end_file (upload, error);
}

static gboolean
reply_cb (gpointer user_data)
{
  Upload *upload = user_data;
  g_autoptr (SoupServerMessage) msg = g_weak_ref_get (&upload->msg);

  if (msg == NULL || upload->finished)
    return G_SOURCE_REMOVE;

  if (upload->error != NULL)
    viv_http_reply_gerror (msg, upload->error);
  else
    {
      g_autoptr (JsonNode) node = json_node_new (JSON_NODE_ARRAY);

      json_node_set_array (node, upload->written);
      viv_http_reply_json (msg, SOUP_STATUS_OK, node);
    }
  soup_server_message_unpause (msg);

  return G_SOURCE_REMOVE;
}

static gboolean
unpause_cb (gpointer user_data)
{
  Upload *upload = user_data;
  g_autoptr (SoupServerMessage) msg = g_weak_ref_get (&upload->msg);

  if (msg != NULL && !upload->finished && !upload->body_done)
    soup_server_message_unpause (msg);

  return G_SOURCE_REMOVE;
}

static gpointer
writer_thread (gpointer user_data)
{
  g_autoptr (Upload) upload = user_data;

  for (;;)
    {
      gpointer item = g_async_queue_pop (upload->queue);
      gboolean resume = FALSE;

      if (item == &abort_marker)
        {
          /* The client went away: nothing of this upload reaches its name. */
          g_clear_pointer (&upload->sink, sink_abort);
          break;
        }

      if (item == &end_of_body_marker)
        {
          if (upload->error == NULL)
            finish (upload, &upload->error);
          g_clear_pointer (&upload->sink, sink_abort);
          g_main_context_invoke_full (upload->context, G_PRIORITY_DEFAULT, reply_cb,
                                      upload_ref (upload), (GDestroyNotify) upload_unref);
          break;
        }

      /* After an error the rest of the body is read and dropped, so the
       * client gets its answer once it has sent everything. */
      if (upload->error == NULL)
        {
          gsize length;
          const guint8 *data = g_bytes_get_data (item, &length);

          if (!consume (upload, data, length, FALSE, &upload->error))
            g_clear_pointer (&upload->sink, sink_abort);
        }

      g_mutex_lock (&upload->lock);
      upload->queued_bytes -= g_bytes_get_size (item);
      if (upload->paused && upload->queued_bytes <= LOW_WATER)
        {
          upload->paused = FALSE;
          resume = TRUE;
        }
      g_mutex_unlock (&upload->lock);
      g_bytes_unref (item);

      if (resume)
        g_main_context_invoke_full (upload->context, G_PRIORITY_DEFAULT, unpause_cb,
                                    upload_ref (upload), (GDestroyNotify) upload_unref);
    }

  return NULL;
}

/* Main thread. */

static void
hand_over (Upload            *upload,
           SoupServerMessage *msg)
{
  GBytes *block;
  gboolean pause = FALSE;

  if (upload->gather->len == 0)
    return;

  block = g_byte_array_free_to_bytes (g_steal_pointer (&upload->gather));
  upload->gather = g_byte_array_sized_new (BLOCK_SIZE);

  g_mutex_lock (&upload->lock);
  upload->queued_bytes += g_bytes_get_size (block);
  if (!upload->paused && upload->queued_bytes > HIGH_WATER)
    pause = upload->paused = TRUE;
  g_mutex_unlock (&upload->lock);

  g_async_queue_push (upload->queue, block);
  if (pause)
    soup_server_message_pause (msg);
}

static void
got_chunk_cb (SoupServerMessage *msg,
              GBytes            *chunk,
              gpointer           user_data)
{
  Upload *upload = user_data;
  gsize length;
  const guint8 *data;

  if (upload->header_error != NULL)
    return;

  data = g_bytes_get_data (chunk, &length);
  g_byte_array_append (upload->gather, data, length);
  if (upload->gather->len >= BLOCK_SIZE)
    hand_over (upload, msg);
}

static void
finished_cb (SoupServerMessage *msg,
             gpointer           user_data)
{
  Upload *upload = user_data;

  upload->finished = TRUE;
  /* Finished before the whole body came: the client disconnected. */
  if (!upload->body_done && upload->header_error == NULL)
    g_async_queue_push (upload->queue, &abort_marker);
}

static void
upload_detach (gpointer data)
{
  Upload *upload = data;

  /* The message is going away with a writer still waiting for its body. */
  if (!upload->body_done && !upload->finished && upload->header_error == NULL)
    g_async_queue_push (upload->queue, &abort_marker);
  upload_unref (upload);
}

static gboolean
read_headers (Upload             *upload,
              SoupServerMessage  *msg,
              GError            **error)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr (GHashTable) query = _viv_envd_files_query (msg);
  g_autoptr (GHashTable) params = NULL;
  g_autoptr (GError) local_error = NULL;
  const char *content_type, *encoding, *path, *name, *value;
  SoupMessageHeadersIter iter;

  if (!_viv_envd_files_authorize (upload->guest, msg, query, "write", error))
    return FALSE;

  upload->user = viv_envd_user_lookup (upload->guest, g_hash_table_lookup (query, "username"),
                                       &local_error);
  if (upload->user == NULL)
    {
      /* envd: an unknown user is unauthenticated. */
      g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_UNAUTHORIZED, "%s", local_error->message);
      return FALSE;
    }

  path = g_hash_table_lookup (query, "path");
  if (path != NULL && *path != '\0')
    {
      upload->path = viv_envd_resolve_path (upload->user, path, error);
      if (upload->path == NULL)
        return FALSE;
    }

  encoding = soup_message_headers_get_one (headers, "Content-Encoding");
  if (encoding != NULL && g_ascii_strcasecmp (encoding, "gzip") == 0)
    upload->gzip = TRUE;
  else if (encoding != NULL && *encoding != '\0' && g_ascii_strcasecmp (encoding, "identity") != 0)
    {
      g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
                   "Unsupported Content-Encoding “%s”: use gzip or none", encoding);
      return FALSE;
    }

  content_type = soup_message_headers_get_content_type (headers, &params);
  if (g_strcmp0 (content_type, "multipart/form-data") == 0)
    {
      const char *boundary = g_hash_table_lookup (params, "boundary");

      if (boundary == NULL || *boundary == '\0' || strlen (boundary) > 70)
        {
          g_set_error_literal (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
                               "The multipart body has no valid boundary");
          return FALSE;
        }
      upload->boundary = g_strdup (boundary);
    }
  else if (g_strcmp0 (content_type, "application/octet-stream") == 0)
    {
      if (upload->path == NULL)
        {
          g_set_error_literal (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
                               "An application/octet-stream upload needs the path parameter");
          return FALSE;
        }
    }
  else
    {
      g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
                   "Unsupported Content-Type “%s”: use multipart/form-data or "
                   "application/octet-stream", content_type ? content_type : "");
      return FALSE;
    }

  /* X-Metadata-<name>: <value> become user.<name> extended attributes (envd ≥ 0.6.2). */
  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      if (g_ascii_strncasecmp (name, "X-Metadata-", 11) != 0 || name[11] == '\0')
        continue;
      if (upload->metadata == NULL)
        upload->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_hash_table_replace (upload->metadata, g_ascii_strdown (name + 11, -1), g_strdup (value));
    }

  return TRUE;
}

static void
got_headers_cb (SoupServerMessage *msg,
                gpointer           user_data)
{
  VivGuest *guest = user_data;
  Upload *upload;
  GThread *thread;
  g_autoptr (GError) error = NULL;

  if (strcmp (soup_server_message_get_method (msg), "POST") != 0 ||
      strcmp (g_uri_get_path (soup_server_message_get_uri (msg)), "/files") != 0)
    return;

  upload = g_new0 (Upload, 1);
  g_atomic_ref_count_init (&upload->ref_count);
  upload->guest = guest;
  upload->context = g_main_context_ref_thread_default ();
  g_weak_ref_init (&upload->msg, msg);
  g_mutex_init (&upload->lock);
  upload->queue = g_async_queue_new_full (queue_item_free);
  upload->written = json_array_new ();
  upload->gather = g_byte_array_sized_new (BLOCK_SIZE);
  g_object_set_data_full (G_OBJECT (msg), "viv-envd-upload", upload, upload_detach);

  /* The body goes to the writer, never into memory. */
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (got_chunk_cb), upload);
  g_signal_connect (msg, "finished", G_CALLBACK (finished_cb), upload);

  if (!read_headers (upload, msg, &error))
    {
      /* Answered by the route handler once the body has been read. */
      upload->header_error = g_steal_pointer (&error);
      return;
    }

  if (upload->gzip)
    upload->decompressor = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
  if (upload->boundary != NULL)
    upload->parser = _viv_multipart_parser_new (upload->boundary, &multipart_callbacks, upload);
  else if (!begin_file (upload, upload->path, &error))
    {
      upload->header_error = g_steal_pointer (&error);
      return;
    }

  thread = g_thread_try_new ("envd-upload", writer_thread, upload_ref (upload), &error);
  if (thread == NULL)
    {
      upload_unref (upload);
      upload->header_error = g_steal_pointer (&error);
      return;
    }
  g_thread_unref (thread);
}

static void
request_started_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  g_signal_connect (msg, "got-headers", G_CALLBACK (got_headers_cb), user_data);
}

static void
post_files_cb (VivGuest          *guest,
               SoupServerMessage *msg,
               const char        *tail,
               GHashTable        *query,
               gpointer           user_data)
{
  Upload *upload = g_object_get_data (G_OBJECT (msg), "viv-envd-upload");

  if (upload == NULL)
    {
      viv_http_reply_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                            "The upload was not seen when its headers arrived");
      return;
    }

  upload->body_done = TRUE;
  if (upload->header_error != NULL)
    {
      viv_http_reply_gerror (msg, upload->header_error);
      return;
    }

  /* The writer answers once the last file is in place. */
  hand_over (upload, msg);
  soup_server_message_pause (msg);
  g_async_queue_push (upload->queue, &end_of_body_marker);
}

void
_viv_envd_files_upload_register (VivGuest *guest)
{
  g_signal_connect (viv_guest_get_server (guest), "request-started",
                    G_CALLBACK (request_started_cb), guest);
  viv_guest_add_route (guest, "POST", "/files", VIV_ROUTE_STREAM_BODY | VIV_ROUTE_OWN_AUTH,
                       post_files_cb, NULL);
}
