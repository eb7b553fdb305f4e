/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>

#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>

#include "viv-envd-process.h"

/* Processes started through process.Process. They belong to the guest, not to
 * the request that started them: a client that drops its stream leaves the
 * process running (envd's start.go), and Connect attaches to it again. The
 * end event waits until both output streams are drained, so no output comes
 * after it; a background child that keeps them open gets OUTPUT_GRACE_MS. */

#define READ_SIZE (32 * 1024)
#define OUTPUT_GRACE_MS 2000
/* Output waiting for a slow client, per stream: past this the pipes are not
 * read until it drains, so the process waits in write() as it would for a
 * slow reader of any pipe, instead of the guest holding all it wrote. */
#define MAX_BACKLOG (1024 * 1024)
/* After the process exited, output waiting for a slow client holds the end
 * back for at most this many graces: a background child may keep writing. */
#define MAX_DRAIN_GRACES 15

typedef struct
{
  GBytes         *data;   /* NULL: close stdin */
  VivConnectCall *call;   /* answered when written */
} InputRequest;

typedef struct
{
  VivGuest       *guest;
  guint32         pid;
  char           *tag;
  JsonObject     *config;       /* {cmd, args, envs, cwd} as requested, for List */
  GSubprocess    *subprocess;
  int             pty_master;
  GCancellable   *cancellable;

  GOutputStream  *input;        /* the stdin pipe or the pty master */
  GQueue          input_queue;  /* of InputRequest */
  gboolean        writing;
  gboolean        input_closed;

  GPtrArray      *subscribers;  /* of VivConnectCall, streams of Start and Connect */
  GSList         *paused_pumps; /* of OutputPump, waiting for a slow subscriber */
  guint           open_outputs;
  gboolean        exited;
  gboolean        ended;
  gboolean        deadline_hit;
  guint           deadline_source;
  guint           grace_source;
  guint           graces;       /* spent waiting for a slow client */
} Process;

typedef struct
{
  Process      *process;
  GInputStream *stream;
  const char   *kind;   /* "stdout", "stderr" or "pty" */
} OutputPump;

static void read_next (OutputPump *pump);
static void pump_close (OutputPump *pump);

static const char * const signal_names[16] = {
  [0] = "SIGNAL_UNSPECIFIED",
  [SIGKILL] = "SIGNAL_SIGKILL",
  [SIGTERM] = "SIGNAL_SIGTERM",
};

static void
input_request_free (InputRequest *request)
{
  g_clear_pointer (&request->data, g_bytes_unref);
  g_clear_pointer (&request->call, viv_connect_call_unref);
  g_free (request);
}

static void
process_clear (Process *process)
{
  g_clear_handle_id (&process->deadline_source, g_source_remove);
  g_clear_handle_id (&process->grace_source, g_source_remove);
  g_queue_clear_full (&process->input_queue, (GDestroyNotify) input_request_free);
  g_clear_object (&process->input);
  g_clear_object (&process->subprocess);
  g_clear_object (&process->cancellable);
  g_clear_pointer (&process->subscribers, g_ptr_array_unref);
  g_clear_pointer (&process->config, json_object_unref);
  g_clear_pointer (&process->tag, g_free);
  if (process->pty_master >= 0)
    close (process->pty_master);
  g_clear_object (&process->guest);
}

static Process *
process_ref (Process *process)
{
  return g_rc_box_acquire (process);
}

static void
process_unref (Process *process)
{
  g_rc_box_release_full (process, (GDestroyNotify) process_clear);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Process, process_unref)

static GHashTable *
get_processes (VivGuest *guest)
{
  GHashTable *processes = g_object_get_data (G_OBJECT (guest), "viv-envd-processes");

  if (processes == NULL)
    {
      processes = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) process_unref);
      g_object_set_data_full (G_OBJECT (guest), "viv-envd-processes", processes,
                              (GDestroyNotify) g_hash_table_unref);
    }

  return processes;
}

/* {"event": {<kind>: <body>}} */
static JsonObject *
event_message (const char *kind,
               JsonObject *body)
{
  JsonObject *event = json_object_new ();
  JsonObject *message = json_object_new ();

  json_object_set_object_member (event, kind, body);
  json_object_set_object_member (message, "event", event);
  return message;
}

static void
broadcast (Process    *process,
           JsonObject *message)
{
  for (guint i = 0; i < process->subscribers->len; i++)
    viv_connect_call_send (process->subscribers->pdata[i], message);
}

static void
send_start (Process        *process,
            VivConnectCall *call)
{
  g_autoptr (JsonObject) message = NULL;
  JsonObject *start = json_object_new ();

  json_object_set_int_member (start, "pid", process->pid);
  message = event_message ("start", start);
  viv_connect_call_send (call, message);
}

/* Go's names for signals (syscall.Signal.String), which envd's status has. */
static const char *
go_signal_name (int signal_number)
{
  static const char * const names[] = {
    NULL, "hangup", "interrupt", "quit", "illegal instruction", "trace/breakpoint trap",
    "aborted", "bus error", "floating point exception", "killed", "user defined signal 1",
    "segmentation fault", "user defined signal 2", "broken pipe", "alarm clock", "terminated",
  };

  if (signal_number > 0 && signal_number < (int) G_N_ELEMENTS (names))
    return names[signal_number];
  return NULL;
}

static JsonObject *
end_event (Process *process)
{
  JsonObject *end = json_object_new ();
  int status = g_subprocess_get_status (process->subprocess);
  g_autofree char *text = NULL;

  /* As Go's os.ProcessState: ExitCode () is -1 for a signal. */
  if (WIFEXITED (status))
    {
      if (WEXITSTATUS (status) != 0)
        json_object_set_int_member (end, "exitCode", WEXITSTATUS (status));
      json_object_set_boolean_member (end, "exited", TRUE);
      text = g_strdup_printf ("exit status %d", WEXITSTATUS (status));
    }
  else if (WIFSIGNALED (status))
    {
      const char *name = go_signal_name (WTERMSIG (status));

      json_object_set_int_member (end, "exitCode", -1);
      text = name ? g_strdup_printf ("signal: %s%s", name, WCOREDUMP (status) ? " (core dumped)" : "")
                  : g_strdup_printf ("signal: signal %d", WTERMSIG (status));
    }
  else
    text = g_strdup_printf ("status %d", status);

  json_object_set_string_member (end, "status", text);
  if (process->deadline_hit)
    json_object_set_string_member (end, "error", text);

  return end;
}

static void subscriber_closed_cb (VivConnectCall *call,
                                  gpointer        user_data);

static void
process_end (Process *process)
{
  g_autoptr (GPtrArray) subscribers = NULL;
  g_autoptr (JsonObject) message = NULL;
  g_autoptr (GError) deadline_error = NULL;

  if (process->ended)
    return;
  process->ended = TRUE;

  g_clear_handle_id (&process->deadline_source, g_source_remove);
  g_clear_handle_id (&process->grace_source, g_source_remove);
  g_cancellable_cancel (process->cancellable);

  message = event_message ("end", end_event (process));
  if (process->deadline_hit)
    deadline_error = g_error_new_literal (VIV_CONNECT_ERROR, VIV_CONNECT_DEADLINE_EXCEEDED,
                                          "The process outlived Connect-Timeout-Ms and was killed");

  subscribers = g_steal_pointer (&process->subscribers);
  process->subscribers = g_ptr_array_new_with_free_func ((GDestroyNotify) viv_connect_call_unref);
  for (guint i = 0; i < subscribers->len; i++)
    {
      VivConnectCall *call = subscribers->pdata[i];

      viv_connect_call_set_closed_func (call, NULL, NULL);
      viv_connect_call_set_drained_func (call, NULL, NULL);
      viv_connect_call_send (call, message);
      viv_connect_call_finish (call, deadline_error);
    }

  /* A pump paused for a slow client has no read to cancel. The caller
   * holds a reference, so the process outlives the pumps' ones. */
  while (process->paused_pumps != NULL)
    {
      OutputPump *pump = process->paused_pumps->data;

      process->paused_pumps = g_slist_delete_link (process->paused_pumps, process->paused_pumps);
      pump_close (pump);
    }

  g_hash_table_remove (get_processes (process->guest), GUINT_TO_POINTER (process->pid));
}

static gboolean
grace_cb (gpointer user_data)
{
  Process *process = user_data;

  /* Output that waits for a slow client is not a background child's open
   * pipe: another grace while it does, but not for ever (a background child
   * may keep writing) nor past the deadline, which killed the process. */
  if (process->paused_pumps != NULL && !process->deadline_hit &&
      ++process->graces < MAX_DRAIN_GRACES)
    return G_SOURCE_CONTINUE;
  process->grace_source = 0;
  process_end (process);
  return G_SOURCE_REMOVE;
}

static void
maybe_end (Process *process)
{
  if (!process->exited || process->ended)
    return;

  if (process->open_outputs == 0)
    process_end (process);
  else if (process->grace_source == 0)
    process->grace_source = g_timeout_add_full (G_PRIORITY_DEFAULT, OUTPUT_GRACE_MS, grace_cb,
                                                process_ref (process),
                                                (GDestroyNotify) process_unref);
}

static void
wait_cb (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (Process) process = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source_object), result, NULL);
  process->exited = TRUE;
  maybe_end (process);
}


/* Whether a subscriber has more output waiting than it should. */
static gboolean
backlogged (Process *process)
{
  for (guint i = 0; i < process->subscribers->len; i++)
    if (viv_connect_call_get_backlog (process->subscribers->pdata[i]) > MAX_BACKLOG)
      return TRUE;
  return FALSE;
}

static void
read_cb (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  OutputPump *pump = user_data;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source_object), result, &error);

  /* End of file; for a pty, EIO once every slave descriptor is closed. */
  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      pump_close (pump);
      return;
    }

  if (!pump->process->ended)
    {
      g_autoptr (JsonObject) message = NULL;
      JsonObject *data = json_object_new ();
      g_autofree char *base64 = g_base64_encode (g_bytes_get_data (bytes, NULL),
                                                 g_bytes_get_size (bytes));

      json_object_set_string_member (data, pump->kind, base64);
      message = event_message ("data", data);
      broadcast (pump->process, message);
    }

  if (backlogged (pump->process))
    pump->process->paused_pumps = g_slist_prepend (pump->process->paused_pumps, pump);
  else
    read_next (pump);
}

static void
pump_close (OutputPump *pump)
{
  Process *process = pump->process;

  process->open_outputs--;
  g_object_unref (pump->stream);
  g_free (pump);
  maybe_end (process);
  process_unref (process);
}

/* Goes on reading once no subscriber is behind any more. */
static void
resume_pumps (Process *process)
{
  GSList *paused;

  if (process->ended || backlogged (process))
    return;
  paused = g_steal_pointer (&process->paused_pumps);
  for (GSList *l = paused; l != NULL; l = l->next)
    read_next (l->data);
  g_slist_free (paused);
}

static void
subscriber_drained_cb (VivConnectCall *call,
                       gpointer        user_data)
{
  resume_pumps (user_data);
}

static void
read_next (OutputPump *pump)
{
  g_input_stream_read_bytes_async (pump->stream, READ_SIZE, G_PRIORITY_DEFAULT,
                                   pump->process->cancellable, read_cb, pump);
}

static void
start_pump (Process      *process,
            GInputStream *stream,
            const char   *kind)
{
  OutputPump *pump = g_new0 (OutputPump, 1);

  pump->process = process_ref (process);
  pump->stream = g_object_ref (stream);
  pump->kind = kind;
  process->open_outputs++;
  read_next (pump);
}

/* Input: writes go out in order, one at a time, and each SendInput is
 * answered once its bytes are in the pipe. */

static void write_next (Process *process);

static void
write_done (Process      *process,
            const GError *error)
{
  InputRequest *request = g_queue_pop_head (&process->input_queue);
  g_autoptr (JsonObject) empty = json_object_new ();

  if (error != NULL)
    viv_connect_call_finish (request->call, error);
  else
    viv_connect_call_send (request->call, empty);

  input_request_free (request);
  process->writing = FALSE;
  write_next (process);
}

static void
write_cb (GObject      *source_object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (Process) process = user_data;
  g_autoptr (GError) error = NULL;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source_object), result, NULL, &error);
  write_done (process, error);
}

static void
close_cb (GObject      *source_object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (Process) process = user_data;
  g_autoptr (GError) error = NULL;

  g_output_stream_close_finish (G_OUTPUT_STREAM (source_object), result, &error);
  write_done (process, error);
}

static void
write_next (Process *process)
{
  InputRequest *request = g_queue_peek_head (&process->input_queue);

  if (process->writing || request == NULL)
    return;

  process->writing = TRUE;
  if (request->data != NULL)
    g_output_stream_write_all_async (process->input,
                                     g_bytes_get_data (request->data, NULL),
                                     g_bytes_get_size (request->data),
                                     G_PRIORITY_DEFAULT, NULL, write_cb, process_ref (process));
  else
    g_output_stream_close_async (process->input, G_PRIORITY_DEFAULT, NULL, close_cb,
                                 process_ref (process));
}

static void
queue_input (Process        *process,
             VivConnectCall *call,
             GBytes         *data)
{
  InputRequest *request = g_new0 (InputRequest, 1);

  request->call = viv_connect_call_ref (call);
  request->data = data ? g_bytes_ref (data) : NULL;
  g_queue_push_tail (&process->input_queue, request);
  write_next (process);
}

static void
subscriber_closed_cb (VivConnectCall *call,
                      gpointer        user_data)
{
  Process *process = user_data;

  /* Only the stream goes; the process keeps running, and its output no
   * longer waits for this client. */
  viv_connect_call_set_drained_func (call, NULL, NULL);
  g_ptr_array_remove (process->subscribers, call);
  resume_pumps (process);
}

static void
add_subscriber (Process        *process,
                VivConnectCall *call)
{
  g_ptr_array_add (process->subscribers, viv_connect_call_ref (call));
  viv_connect_call_set_closed_func (call, subscriber_closed_cb, process);
  viv_connect_call_set_drained_func (call, subscriber_drained_cb, process);
}

static gboolean
deadline_cb (gpointer user_data)
{
  Process *process = user_data;

  process->deadline_source = 0;
  process->deadline_hit = TRUE;
  /* envd runs the command under the request's context, which kills it with
   * SIGKILL; the whole group goes, so no child keeps the output open. */
  kill (-(pid_t) process->pid, SIGKILL);
  kill ((pid_t) process->pid, SIGKILL);
  return G_SOURCE_REMOVE;
}

/* Request parsing */

static gboolean
parse_string_array (JsonObject  *object,
                    const char  *name,
                    GPtrArray   *out,
                    GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);
  JsonArray *array;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    goto invalid;

  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
        goto invalid;
      g_ptr_array_add (out, g_strdup (json_node_get_string (element)));
    }

  return TRUE;

invalid:
  g_set_error (error, VIV_CONNECT_ERROR, VIV_CONNECT_INVALID_ARGUMENT,
               "Field “%s” must be a list of strings", name);
  return FALSE;
}

static gboolean
parse_string_map (JsonObject  *object,
                  const char  *name,
                  GHashTable  *out,
                  GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);
  JsonObjectIter iter;
  const char *key;
  JsonNode *value;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    goto invalid;

  json_object_iter_init (&iter, json_node_get_object (node));
  while (json_object_iter_next (&iter, &key, &value))
    {
      if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING)
        goto invalid;
      g_hash_table_replace (out, g_strdup (key), g_strdup (json_node_get_string (value)));
    }

  return TRUE;

invalid:
  g_set_error (error, VIV_CONNECT_ERROR, VIV_CONNECT_INVALID_ARGUMENT,
               "Field “%s” must map names to strings", name);
  return FALSE;
}

/* The ProcessSelector of Connect, SendInput, SendSignal, Update, CloseStdin. */
static Process *
find_process (VivConnectCall  *call,
              JsonObject      *request,
              GError         **error)
{
  GHashTable *processes = get_processes (viv_connect_call_get_guest (call));
  JsonObject *selector = NULL;
  const char *tag = NULL;
  gint64 pid = 0;
  GHashTableIter iter;
  gpointer value;

  if (!viv_connect_get_object (request, "process", &selector, error))
    return NULL;
  if (selector == NULL)
    {
      g_set_error_literal (error, VIV_CONNECT_ERROR, VIV_CONNECT_INVALID_ARGUMENT,
                           "Field “process” is required");
      return NULL;
    }

  if (!viv_connect_get_int (selector, "pid", 0, G_MAXUINT32, &pid, error) ||
      !viv_connect_get_string (selector, "tag", &tag, error))
    return NULL;

  if (tag != NULL)
    {
      g_hash_table_iter_init (&iter, processes);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        {
          Process *process = value;

          if (g_strcmp0 (process->tag, tag) == 0 && !process->ended)
            return process;
        }

      g_set_error (error, VIV_CONNECT_ERROR, VIV_CONNECT_NOT_FOUND,
                   "No process with tag “%s”", tag);
      return NULL;
    }

  if (pid == 0)
    {
      g_set_error_literal (error, VIV_CONNECT_ERROR, VIV_CONNECT_INVALID_ARGUMENT,
                           "The process selector needs a pid or a tag");
      return NULL;
    }

  value = g_hash_table_lookup (processes, GUINT_TO_POINTER ((guint32) pid));
  if (value == NULL || ((Process *) value)->ended)
    {
      g_set_error (error, VIV_CONNECT_ERROR, VIV_CONNECT_NOT_FOUND,
                   "No process with pid %" G_GINT64_FORMAT, pid);
      return NULL;
    }

  return value;
}

static gboolean
parse_pty_size (JsonObject  *pty,
                guint       *cols,
                guint       *rows,
                GError     **error)
{
  JsonObject *size = NULL;
  gint64 value_cols = 0, value_rows = 0;

  if (!viv_connect_get_object (pty, "size", &size, error))
    return FALSE;
  if (size == NULL)
    return TRUE;

  if (!viv_connect_get_int (size, "cols", 0, G_MAXUINT16, &value_cols, error) ||
      !viv_connect_get_int (size, "rows", 0, G_MAXUINT16, &value_rows, error))
    return FALSE;

  *cols = value_cols;
  *rows = value_rows;
  return TRUE;
}

static void
start_cb (VivConnectCall *call,
          JsonObject     *request,
          gpointer        user_data)
{
  VivGuest *guest = viv_connect_call_get_guest (call);
  const VivEnvdUser *user = viv_connect_call_get_user (call);
  VivEnvdState *state = viv_envd_state_get (guest);
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) envs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GSubprocess) subprocess = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *cwd = NULL;
  g_auto (GStrv) environment = NULL;
  VivEnvdSpawnOptions options = { .use_stdin = TRUE };
  JsonObject *config = NULL;
  JsonObject *pty = NULL;
  const char *cmd = NULL;
  const char *cwd_requested = NULL;
  const char *tag = NULL;
  int pty_master = -1;
  GPid pid = 0;
  Process *process;

  if (!viv_connect_get_object (request, "process", &config, &error) ||
      !viv_connect_get_object (request, "pty", &pty, &error) ||
      !viv_connect_get_string (request, "tag", &tag, &error) ||
      /* Without the field (SDKs before envd 0.3.0) stdin is a pipe, as envd did. */
      !viv_connect_get_bool (request, "stdin", &options.use_stdin, &error))
    goto fail;

  if (config == NULL ||
      !viv_connect_get_string (config, "cmd", &cmd, &error) ||
      !viv_connect_get_string (config, "cwd", &cwd_requested, &error) ||
      !parse_string_array (config, "args", argv, &error) ||
      !parse_string_map (config, "envs", envs, &error))
    {
      if (error == NULL)
        g_set_error_literal (&error, VIV_CONNECT_ERROR, VIV_CONNECT_INVALID_ARGUMENT,
                             "Field “process” is required");
      goto fail;
    }

  if (cmd == NULL || *cmd == '\0')
    {
      g_set_error_literal (&error, VIV_CONNECT_ERROR, VIV_CONNECT_INVALID_ARGUMENT,
                           "Field “process.cmd” is required");
      goto fail;
    }
  g_ptr_array_insert (argv, 0, g_strdup (cmd));
  g_ptr_array_add (argv, NULL);

  if (pty != NULL)
    {
      options.use_pty = TRUE;
      if (!parse_pty_size (pty, &options.cols, &options.rows, &error))
        goto fail;
      if (!g_hash_table_contains (envs, "TERM"))
        g_hash_table_insert (envs, g_strdup ("TERM"), g_strdup ("xterm-256color"));
    }

  if (cwd_requested != NULL && *cwd_requested != '\0')
    cwd = viv_envd_resolve_path (user, cwd_requested, &error);
  else
    cwd = viv_envd_resolve_path (user, state->default_workdir ? state->default_workdir
                                                              : user->home, &error);
  if (cwd == NULL)
    goto fail;

  if (!g_file_test (cwd, G_FILE_TEST_IS_DIR))
    {
      g_set_error (&error, VIV_CONNECT_ERROR, VIV_CONNECT_INVALID_ARGUMENT,
                   "The working directory %s does not exist", cwd);
      goto fail;
    }

  environment = viv_envd_process_environment (guest, user, cwd, envs);
  subprocess = viv_envd_process_spawn (user, (const char * const *) argv->pdata,
                                       (const char * const *) environment, cwd, &options,
                                       &pid, &pty_master, &error);
  if (subprocess == NULL)
    {
      GError *spawn_error = error;

      /* A command that cannot run is the caller's mistake, not ours. */
      error = g_error_new (VIV_CONNECT_ERROR,
                           g_error_matches (spawn_error, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT) ||
                           g_error_matches (spawn_error, G_SPAWN_ERROR, G_SPAWN_ERROR_ACCES) ||
                           g_error_matches (spawn_error, G_SPAWN_ERROR, G_SPAWN_ERROR_CHDIR)
                             ? VIV_CONNECT_INVALID_ARGUMENT : VIV_CONNECT_INTERNAL,
                           "Cannot start %s: %s", cmd, spawn_error->message);
      g_error_free (spawn_error);
      goto fail;
    }

  process = g_rc_box_new0 (Process);
  process->guest = g_object_ref (guest);
  process->pid = (guint32) pid;
  process->tag = g_strdup (tag);
  process->subprocess = g_steal_pointer (&subprocess);
  process->pty_master = pty_master;
  process->cancellable = g_cancellable_new ();
  process->subscribers = g_ptr_array_new_with_free_func ((GDestroyNotify) viv_connect_call_unref);
  g_queue_init (&process->input_queue);

  /* List shows the configuration as it was asked for. */
  process->config = json_object_new ();
  json_object_set_string_member (process->config, "cmd", cmd);
  {
    JsonArray *args = json_array_new ();

    for (guint i = 1; argv->pdata[i] != NULL; i++)
      json_array_add_string_element (args, argv->pdata[i]);
    json_object_set_array_member (process->config, "args", args);
  }
  {
    JsonObject *envs_object = json_object_new ();
    JsonNode *requested = json_object_get_member (config, "envs");

    if (requested != NULL && JSON_NODE_HOLDS_OBJECT (requested))
      {
        json_object_unref (envs_object);
        envs_object = json_object_ref (json_node_get_object (requested));
      }
    json_object_set_object_member (process->config, "envs", envs_object);
  }
  if (cwd_requested != NULL && *cwd_requested != '\0')
    json_object_set_string_member (process->config, "cwd", cwd_requested);

  g_hash_table_replace (get_processes (guest), GUINT_TO_POINTER (process->pid), process);

  add_subscriber (process, call);
  send_start (process, call);

  /* Connect-Timeout-Ms is the process's lifetime, even after the client left. */
  viv_connect_call_take_deadline (call);
  if (viv_connect_call_get_timeout_ms (call) > 0)
    process->deadline_source = g_timeout_add_full (G_PRIORITY_DEFAULT,
                                                   MIN (viv_connect_call_get_timeout_ms (call),
                                                        G_MAXUINT),
                                                   deadline_cb, process_ref (process),
                                                   (GDestroyNotify) process_unref);

  if (pty_master >= 0)
    {
      g_autoptr (GInputStream) pty_output = g_unix_input_stream_new (pty_master, FALSE);

      process->input = g_unix_output_stream_new (pty_master, FALSE);
      start_pump (process, pty_output, "pty");
    }
  else
    {
      start_pump (process, g_subprocess_get_stdout_pipe (process->subprocess), "stdout");
      start_pump (process, g_subprocess_get_stderr_pipe (process->subprocess), "stderr");
      if (options.use_stdin)
        process->input = g_object_ref (g_subprocess_get_stdin_pipe (process->subprocess));
    }

  g_subprocess_wait_async (process->subprocess, NULL, wait_cb, process_ref (process));
  return;

fail:
  viv_connect_call_finish (call, error);
}

static void
connect_cb (VivConnectCall *call,
            JsonObject     *request,
            gpointer        user_data)
{
  g_autoptr (GError) error = NULL;
  Process *process;

  process = find_process (call, request, &error);
  if (process == NULL)
    {
      viv_connect_call_finish (call, error);
      return;
    }

  /* Like envd, only what comes from now on: past output is not replayed. */
  add_subscriber (process, call);
  send_start (process, call);
}

static void
list_cb (VivConnectCall *call,
         JsonObject     *request,
         gpointer        user_data)
{
  GHashTable *processes = get_processes (viv_connect_call_get_guest (call));
  g_autoptr (JsonObject) response = json_object_new ();
  JsonArray *list = json_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, processes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Process *process = value;
      JsonObject *info = json_object_new ();

      json_object_set_object_member (info, "config", json_object_ref (process->config));
      json_object_set_int_member (info, "pid", process->pid);
      if (process->tag != NULL)
        json_object_set_string_member (info, "tag", process->tag);
      json_array_add_object_element (list, info);
    }

  json_object_set_array_member (response, "processes", list);
  viv_connect_call_send (call, response);
}

static void
send_input_cb (VivConnectCall *call,
               JsonObject     *request,
               gpointer        user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) stdin_data = NULL;
  g_autoptr (GBytes) pty_data = NULL;
  JsonObject *input = NULL;
  Process *process;

  process = find_process (call, request, &error);
  if (process == NULL ||
      !viv_connect_get_object (request, "input", &input, &error) ||
      (input != NULL && (!viv_connect_get_bytes (input, "stdin", &stdin_data, &error) ||
                         !viv_connect_get_bytes (input, "pty", &pty_data, &error))))
    {
      viv_connect_call_finish (call, error);
      return;
    }

  if (pty_data != NULL && process->pty_master < 0)
    {
      viv_connect_call_return_error (call, VIV_CONNECT_FAILED_PRECONDITION,
                                     "Process %u has no pty", process->pid);
      return;
    }

  if (pty_data == NULL && stdin_data != NULL && process->pty_master >= 0)
    {
      viv_connect_call_return_error (call, VIV_CONNECT_FAILED_PRECONDITION,
                                     "Process %u has a pty; send input as “pty”", process->pid);
      return;
    }

  if (pty_data == NULL && stdin_data == NULL)
    {
      viv_connect_call_return_error (call, VIV_CONNECT_INVALID_ARGUMENT,
                                     "Field “input” needs “stdin” or “pty”");
      return;
    }

  if (process->input == NULL || process->input_closed)
    {
      viv_connect_call_return_error (call, VIV_CONNECT_FAILED_PRECONDITION,
                                     "Process %u has no open stdin", process->pid);
      return;
    }

  queue_input (process, call, pty_data ? pty_data : stdin_data);
}

static void
close_stdin_cb (VivConnectCall *call,
                JsonObject     *request,
                gpointer        user_data)
{
  g_autoptr (GError) error = NULL;
  Process *process;

  process = find_process (call, request, &error);
  if (process == NULL)
    {
      viv_connect_call_finish (call, error);
      return;
    }

  if (process->pty_master >= 0 || process->input == NULL || process->input_closed)
    {
      viv_connect_call_return_error (call, VIV_CONNECT_FAILED_PRECONDITION,
                                     "Process %u has no open stdin pipe", process->pid);
      return;
    }

  process->input_closed = TRUE;
  queue_input (process, call, NULL);
}

static void
send_signal_cb (VivConnectCall *call,
                JsonObject     *request,
                gpointer        user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) response = json_object_new ();
  int signal_number = 0;
  Process *process;

  process = find_process (call, request, &error);
  if (process == NULL ||
      !viv_connect_get_enum (request, "signal", signal_names, G_N_ELEMENTS (signal_names),
                             &signal_number, &error))
    {
      viv_connect_call_finish (call, error);
      return;
    }

  if (signal_number == 0)
    {
      viv_connect_call_return_error (call, VIV_CONNECT_INVALID_ARGUMENT,
                                     "Field “signal” must be SIGNAL_SIGTERM or SIGNAL_SIGKILL");
      return;
    }

  /* Like envd, to the process itself; the exit is reported by its stream. */
  if (!process->exited)
    g_subprocess_send_signal (process->subprocess, signal_number);
  viv_connect_call_send (call, response);
}

static void
update_cb (VivConnectCall *call,
           JsonObject     *request,
           gpointer        user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) response = json_object_new ();
  JsonObject *pty = NULL;
  guint cols = 0, rows = 0;
  Process *process;

  process = find_process (call, request, &error);
  if (process == NULL ||
      !viv_connect_get_object (request, "pty", &pty, &error) ||
      (pty != NULL && !parse_pty_size (pty, &cols, &rows, &error)))
    {
      viv_connect_call_finish (call, error);
      return;
    }

  if (pty != NULL)
    {
      if (process->pty_master < 0)
        {
          viv_connect_call_return_error (call, VIV_CONNECT_FAILED_PRECONDITION,
                                         "Process %u has no pty", process->pid);
          return;
        }

      if (cols == 0 || rows == 0)
        {
          viv_connect_call_return_error (call, VIV_CONNECT_INVALID_ARGUMENT,
                                         "Field “pty.size” needs cols and rows above 0");
          return;
        }

      if (!viv_envd_pty_set_size (process->pty_master, cols, rows, &error))
        {
          viv_connect_call_finish (call, error);
          return;
        }
    }

  viv_connect_call_send (call, response);
}

void
viv_envd_process_register (VivGuest *guest)
{
  const char *service = "process.Process";
  const char *keepalive = "{\"event\":{\"keepalive\":{}}}";

  viv_connect_add_method (guest, service, "Start", VIV_CONNECT_SERVER_STREAM, keepalive,
                          start_cb, NULL);
  viv_connect_add_method (guest, service, "Connect", VIV_CONNECT_SERVER_STREAM, keepalive,
                          connect_cb, NULL);
  viv_connect_add_method (guest, service, "List", VIV_CONNECT_UNARY, NULL, list_cb, NULL);
  viv_connect_add_method (guest, service, "SendInput", VIV_CONNECT_UNARY, NULL,
                          send_input_cb, NULL);
  viv_connect_add_method (guest, service, "SendSignal", VIV_CONNECT_UNARY, NULL,
                          send_signal_cb, NULL);
  viv_connect_add_method (guest, service, "Update", VIV_CONNECT_UNARY, NULL, update_cb, NULL);
  viv_connect_add_method (guest, service, "CloseStdin", VIV_CONNECT_UNARY, NULL,
                          close_stdin_cb, NULL);
  /* StreamInput (client streaming) is left to the service's "unimplemented":
   * the E2B SDKs use SendInput instead (§2.3). */
  viv_connect_add_service (guest, service);
}
