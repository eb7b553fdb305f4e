/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "vivarium.h"
#include "viv-connect-private.h"
#include "viv-json-private.h"
#include "viv-sandbox-private.h"

/**
 * VivProcesses:
 *
 * The processes of a sandbox, through envd's `process.Process` service:
 * list them, start one with its output streamed as signals, send input and
 * signals.
 */

/**
 * VivProcess:
 *
 * A process started with [method@Viv.Processes.start] or listed by
 * [method@Viv.Processes.list_async]. Its output arrives as
 * [signal@Viv.Process::stdout] and [signal@Viv.Process::stderr]; its end with
 * [method@Viv.Process.wait_async]. Connect to the signals right after
 * starting it: nothing is emitted before the main loop runs again.
 *
 * A listed process is followed only once [method@Viv.Process.wait_async] is
 * called (`process.Process/Connect`), and from then on: output it wrote
 * before is not replayed.
 */

struct _VivProcesses
{
  GObject     parent_instance;
  VivSandbox *sandbox;
};

struct _VivProcess
{
  GObject       parent_instance;
  VivSandbox   *sandbox;
  char         *command;
  GStrv         argv;
  char         *cwd;
  char         *tag;
  guint         pid;
  GCancellable *cancellable;
  GQueue        waiters;
  GError       *error;
  int           exit_code;
  guint         ended : 1;
  guint         following : 1;  /* its event stream is read (Start or Connect) */
};

enum {
  PROCESS_STARTED,
  PROCESS_STDOUT,
  PROCESS_STDERR,
  N_PROCESS_SIGNALS
};

G_DEFINE_FINAL_TYPE (VivProcesses, viv_processes, G_TYPE_OBJECT)
G_DEFINE_FINAL_TYPE (VivProcess, viv_process, G_TYPE_OBJECT)

static guint process_signals[N_PROCESS_SIGNALS];

static void
viv_processes_dispose (GObject *object)
{
  g_clear_object (&VIV_PROCESSES (object)->sandbox);
  G_OBJECT_CLASS (viv_processes_parent_class)->dispose (object);
}

static void
viv_processes_class_init (VivProcessesClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = viv_processes_dispose;
}

static void
viv_processes_init (VivProcesses *self)
{
}

/**
 * viv_processes_new:
 * @sandbox: a sandbox
 *
 * Returns: (transfer full): the processes of @sandbox
 */
VivProcesses *
viv_processes_new (VivSandbox *sandbox)
{
  VivProcesses *self;

  g_return_val_if_fail (VIV_IS_SANDBOX (sandbox), NULL);

  self = g_object_new (VIV_TYPE_PROCESSES, NULL);
  self->sandbox = g_object_ref (sandbox);
  return self;
}

/* proto3 JSON may send an unset string as "": both are NULL here. */
static char *
dup_nonempty (const char *text)
{
  return text != NULL && *text != '\0' ? g_strdup (text) : NULL;
}

static void
list_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (GPtrArray) listed = g_ptr_array_new_with_free_func (g_object_unref);
  JsonArray *processes = NULL;
  GError *error = NULL;

  if (!(answer = _viv_connect_call_finish (VIV_SANDBOX (object), result, &error)) ||
      !_viv_json_get_array (answer, "processes", FALSE, &processes, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  for (guint i = 0; processes != NULL && i < json_array_get_length (processes); i++)
    {
      JsonNode *node = json_array_get_element (processes, i);
      JsonObject *config = NULL;
      const char *cmd = NULL;
      const char *cwd = NULL;
      const char *tag = NULL;
      g_auto (GStrv) args = NULL;
      g_autoptr (GStrvBuilder) argv = g_strv_builder_new ();
      gint64 pid = 0;
      VivProcess *process;

      if (!JSON_NODE_HOLDS_OBJECT (node) ||
          !_viv_json_get_int (json_node_get_object (node), "pid", TRUE, &pid, &error) ||
          !_viv_json_get_string (json_node_get_object (node), "tag", FALSE, &tag, &error) ||
          !_viv_json_get_object (json_node_get_object (node), "config", TRUE, &config, &error) ||
          !_viv_json_get_string (config, "cmd", TRUE, &cmd, &error) ||
          !_viv_json_get_strv (config, "args", FALSE, &args, &error) ||
          !_viv_json_get_string (config, "cwd", FALSE, &cwd, &error))
        {
          if (error == NULL)
            error = g_error_new (VIV_ERROR, VIV_ERROR_PROTOCOL, "Process %u is not a JSON object", i);
          g_task_return_error (task, error);
          return;
        }

      g_strv_builder_add (argv, cmd);
      if (args != NULL)
        g_strv_builder_addv (argv, (const char **) args);

      process = g_object_new (VIV_TYPE_PROCESS, NULL);
      process->sandbox = g_object_ref (VIV_SANDBOX (object));
      process->pid = (guint) pid;
      process->argv = g_strv_builder_end (argv);
      process->command = g_strjoinv (" ", process->argv);
      process->cwd = dup_nonempty (cwd);
      process->tag = dup_nonempty (tag);
      g_ptr_array_add (listed, process);
    }

  g_task_return_pointer (task, g_steal_pointer (&listed), (GDestroyNotify) g_ptr_array_unref);
}

/**
 * viv_processes_list_async:
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called with the list
 * @user_data: data for @callback
 *
 * Lists the processes envd started (`process.Process/List`).
 */
void
viv_processes_list_async (VivProcesses        *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr (JsonObject) request = json_object_new ();
  GTask *task;

  g_return_if_fail (VIV_IS_PROCESSES (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, viv_processes_list_async);
  _viv_connect_call_async (self->sandbox, "process.Process/List", request, cancellable,
                           list_cb, task);
}

/**
 * viv_processes_list_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer container) (element-type Viv.Process): the processes,
 *   with their pid, command line, working directory and tag as envd knows them
 */
GPtrArray *
viv_processes_list_finish (VivProcesses  *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static JsonObject *
selector (guint pid)
{
  JsonObject *process = json_object_new ();

  json_object_set_int_member (process, "pid", pid);
  return process;
}

static void
empty_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (JsonObject) answer = NULL;
  GError *error = NULL;

  if (!(answer = _viv_connect_call_finish (VIV_SANDBOX (object), result, &error)))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static const char *
signal_name (VivSignal signal_number)
{
  return signal_number == VIV_SIGNAL_SIGKILL ? "SIGNAL_SIGKILL" : "SIGNAL_SIGTERM";
}

static void
send_signal (VivSandbox          *sandbox,
             gpointer             source,
             gpointer             tag,
             guint                pid,
             VivSignal            signal_number,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  g_autoptr (JsonObject) request = json_object_new ();
  GTask *task = g_task_new (source, cancellable, callback, user_data);

  g_task_set_source_tag (task, tag);
  json_object_set_object_member (request, "process", selector (pid));
  json_object_set_string_member (request, "signal", signal_name (signal_number));
  _viv_connect_call_async (sandbox, "process.Process/SendSignal", request, cancellable,
                           empty_cb, task);
}

/**
 * viv_processes_send_signal_async:
 * @pid: the process
 * @signal_number: the signal
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when sent
 * @user_data: data for @callback
 *
 * Sends a signal to a process (`process.Process/SendSignal`); an unknown
 * pid is %VIV_ERROR_NOT_FOUND.
 */
void
viv_processes_send_signal_async (VivProcesses        *self,
                                 guint                pid,
                                 VivSignal            signal_number,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (VIV_IS_PROCESSES (self));
  send_signal (self->sandbox, self, viv_processes_send_signal_async, pid, signal_number,
               cancellable, callback, user_data);
}

/**
 * viv_processes_send_signal_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: whether the signal was sent
 */
gboolean
viv_processes_send_signal_finish (VivProcesses  *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* VivProcess */

static void
finish_waiters (VivProcess *self)
{
  GTask *task;

  while ((task = g_queue_pop_head (&self->waiters)))
    {
      if (self->error != NULL)
        g_task_return_error (task, g_error_copy (self->error));
      else
        g_task_return_int (task, self->exit_code);
      g_object_unref (task);
    }
}

static void
process_message_cb (JsonObject *message,
                    gpointer    user_data)
{
  VivProcess *self = user_data;
  JsonObject *event = NULL;
  JsonObject *part = NULL;

  if (!_viv_json_get_object (message, "event", FALSE, &event, NULL) || event == NULL)
    return;

  if (_viv_json_get_object (event, "start", FALSE, &part, NULL) && part != NULL)
    {
      gint64 pid = 0;

      if (_viv_json_get_int (part, "pid", FALSE, &pid, NULL))
        self->pid = (guint) pid;
      g_signal_emit (self, process_signals[PROCESS_STARTED], 0, self->pid);
    }
  else if (_viv_json_get_object (event, "data", FALSE, &part, NULL) && part != NULL)
    {
      const char *b64 = NULL;
      guint which = PROCESS_STDOUT;

      if (!_viv_json_get_string (part, "stdout", FALSE, &b64, NULL) || b64 == NULL)
        {
          which = PROCESS_STDERR;
          if (!_viv_json_get_string (part, "stderr", FALSE, &b64, NULL) || b64 == NULL)
            _viv_json_get_string (part, "pty", FALSE, &b64, NULL), which = PROCESS_STDOUT;
        }
      if (b64 != NULL)
        {
          gsize length = 0;
          guchar *decoded = g_base64_decode (b64, &length);
          g_autoptr (GBytes) bytes = g_bytes_new_take (decoded, length);

          g_signal_emit (self, process_signals[which], 0, bytes);
        }
    }
  else if (_viv_json_get_object (event, "end", FALSE, &part, NULL) && part != NULL)
    {
      gint64 exit_code = 0;

      /* proto3 omits zero values: no exitCode means 0 (spec §2.3). */
      _viv_json_get_int (part, "exitCode", FALSE, &exit_code, NULL);
      self->exit_code = (int) exit_code;
      self->ended = TRUE;
    }
}

static void
stream_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (VivProcess) self = user_data;
  GError *error = NULL;

  if (!_viv_connect_stream_finish (VIV_SANDBOX (object), result, &error))
    self->error = error;
  else if (!self->ended)
    self->error = g_error_new (VIV_ERROR, VIV_ERROR_PROTOCOL,
                               "The process's stream ended without its end event");
  self->ended = TRUE;
  finish_waiters (self);
}

static void
viv_process_dispose (GObject *object)
{
  VivProcess *self = VIV_PROCESS (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->sandbox);

  G_OBJECT_CLASS (viv_process_parent_class)->dispose (object);
}

static void
viv_process_finalize (GObject *object)
{
  VivProcess *self = VIV_PROCESS (object);

  g_clear_error (&self->error);
  g_free (self->command);
  g_strfreev (self->argv);
  g_free (self->cwd);
  g_free (self->tag);

  G_OBJECT_CLASS (viv_process_parent_class)->finalize (object);
}

static void
viv_process_class_init (VivProcessClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = viv_process_dispose;
  object_class->finalize = viv_process_finalize;

  /**
   * VivProcess::started:
   * @self: the process
   * @pid: its pid in the sandbox
   *
   * The process runs.
   */
  process_signals[PROCESS_STARTED] =
    g_signal_new ("started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_UINT);
  /**
   * VivProcess::stdout:
   * @self: the process
   * @data: bytes it wrote to its standard output (or its terminal)
   *
   * Output arrived.
   */
  process_signals[PROCESS_STDOUT] =
    g_signal_new ("stdout", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_BYTES);
  /**
   * VivProcess::stderr:
   * @self: the process
   * @data: bytes it wrote to its standard error
   *
   * Error output arrived.
   */
  process_signals[PROCESS_STDERR] =
    g_signal_new ("stderr", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_BYTES);
}

static void
viv_process_init (VivProcess *self)
{
  g_queue_init (&self->waiters);
  self->cancellable = g_cancellable_new ();
}

/**
 * viv_processes_start:
 * @argv: (array zero-terminated=1): the program and its arguments
 * @envs: (nullable) (array zero-terminated=1): extra `NAME=value` variables
 * @cwd: (nullable): the working directory
 * @tag: (nullable): a tag to find the process again
 * @with_stdin: whether it gets a standard input for [method@Viv.Process.send_input_async]
 *
 * Starts a process in the sandbox (`process.Process/Start`) and streams its
 * output. The process lives on if the stream is dropped
 * ([method@Viv.Process.disconnect]), as with envd.
 *
 * Returns: (transfer full): the process
 */
VivProcess *
viv_processes_start (VivProcesses       *self,
                     const char * const *argv,
                     const char * const *envs,
                     const char         *cwd,
                     const char         *tag,
                     gboolean            with_stdin)
{
  g_autoptr (JsonObject) request = json_object_new ();
  JsonObject *process = json_object_new ();
  JsonArray *args = json_array_new ();
  JsonObject *env_object = json_object_new ();
  VivProcess *proc;

  g_return_val_if_fail (VIV_IS_PROCESSES (self), NULL);
  g_return_val_if_fail (argv != NULL && argv[0] != NULL, NULL);

  for (guint i = 1; argv[i] != NULL; i++)
    json_array_add_string_element (args, argv[i]);
  for (guint i = 0; envs != NULL && envs[i] != NULL; i++)
    {
      const char *eq = strchr (envs[i], '=');
      g_autofree char *name = eq ? g_strndup (envs[i], eq - envs[i]) : g_strdup (envs[i]);

      json_object_set_string_member (env_object, name, eq ? eq + 1 : "");
    }

  json_object_set_string_member (process, "cmd", argv[0]);
  json_object_set_array_member (process, "args", args);
  json_object_set_object_member (process, "envs", env_object);
  if (cwd != NULL)
    json_object_set_string_member (process, "cwd", cwd);
  json_object_set_object_member (request, "process", process);
  if (tag != NULL)
    json_object_set_string_member (request, "tag", tag);
  json_object_set_boolean_member (request, "stdin", with_stdin);

  proc = g_object_new (VIV_TYPE_PROCESS, NULL);
  proc->sandbox = g_object_ref (self->sandbox);
  proc->argv = g_strdupv ((char **) argv);
  proc->command = g_strjoinv (" ", proc->argv);
  proc->cwd = dup_nonempty (cwd);
  proc->tag = dup_nonempty (tag);
  proc->following = TRUE;

  _viv_connect_stream_async (self->sandbox, "process.Process/Start", request, 0,
                             process_message_cb, proc, proc->cancellable, stream_cb,
                             g_object_ref (proc));
  return proc;
}

/**
 * viv_process_get_pid:
 *
 * Returns: the pid in the sandbox; for a process being started, 0 until
 *   [signal@Viv.Process::started]
 */
guint
viv_process_get_pid (VivProcess *self)
{
  g_return_val_if_fail (VIV_IS_PROCESS (self), 0);
  return self->pid;
}

/**
 * viv_process_get_tag:
 *
 * Returns: (nullable): the tag
 */
const char *
viv_process_get_tag (VivProcess *self)
{
  g_return_val_if_fail (VIV_IS_PROCESS (self), NULL);
  return self->tag;
}

/**
 * viv_process_get_command:
 *
 * Returns: the command line, for display
 */
const char *
viv_process_get_command (VivProcess *self)
{
  g_return_val_if_fail (VIV_IS_PROCESS (self), NULL);
  return self->command;
}

/**
 * viv_process_get_argv:
 *
 * Returns: (array zero-terminated=1) (transfer none): the program and its
 *   arguments
 */
const char * const *
viv_process_get_argv (VivProcess *self)
{
  g_return_val_if_fail (VIV_IS_PROCESS (self), NULL);
  return (const char * const *) self->argv;
}

/**
 * viv_process_get_cwd:
 *
 * Returns: (nullable): the working directory it was started in, as asked
 *   for; %NULL for envd's default (the user's home) or an envd that does not
 *   say
 */
const char *
viv_process_get_cwd (VivProcess *self)
{
  g_return_val_if_fail (VIV_IS_PROCESS (self), NULL);
  return self->cwd;
}

/**
 * viv_process_wait_async:
 * @cancellable: (nullable): a cancellable (stops waiting, not the process)
 * @callback: (scope async): called when it ended
 * @user_data: data for @callback
 *
 * Waits for the process's end. For a listed process this first connects to
 * it (`process.Process/Connect`); one that ended meanwhile is
 * %VIV_ERROR_NOT_FOUND.
 */
void
viv_process_wait_async (VivProcess          *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (VIV_IS_PROCESS (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, viv_process_wait_async);
  g_queue_push_tail (&self->waiters, task);
  if (!self->following && !self->ended)
    {
      g_autoptr (JsonObject) request = json_object_new ();

      self->following = TRUE;
      json_object_set_object_member (request, "process", selector (self->pid));
      _viv_connect_stream_async (self->sandbox, "process.Process/Connect", request, 0,
                                 process_message_cb, self, self->cancellable, stream_cb,
                                 g_object_ref (self));
    }
  if (self->ended && (self->error != NULL || g_queue_get_length (&self->waiters) > 0))
    {
      /* Already over: answer from an idle, as async calls must. */
      if (self->error != NULL)
        g_task_return_error (task, g_error_copy (self->error));
      else
        g_task_return_int (task, self->exit_code);
      g_queue_remove (&self->waiters, task);
      g_object_unref (task);
    }
}

/**
 * viv_process_wait_finish:
 * @result: the result
 * @exit_code: (out) (optional): its exit status
 * @error: return location for an error
 *
 * Returns: whether the process's end was seen; a broken stream is an error
 */
gboolean
viv_process_wait_finish (VivProcess    *self,
                         GAsyncResult  *result,
                         int           *exit_code,
                         GError       **error)
{
  gssize value;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  value = g_task_propagate_int (G_TASK (result), error);
  if (value == -1 && error != NULL && *error != NULL)
    return FALSE;
  if (exit_code != NULL)
    *exit_code = (int) value;
  return TRUE;
}

static void
process_empty_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  empty_cb (object, result, user_data);
}

/**
 * viv_process_send_input_async:
 * @data: bytes for its standard input
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when sent
 * @user_data: data for @callback
 *
 * Writes to the process's standard input (`process.Process/SendInput`).
 */
void
viv_process_send_input_async (VivProcess          *self,
                              GBytes              *data,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr (JsonObject) request = json_object_new ();
  JsonObject *input = json_object_new ();
  g_autofree char *b64 = NULL;
  gsize length = 0;
  const guchar *bytes;
  GTask *task;

  g_return_if_fail (VIV_IS_PROCESS (self));
  g_return_if_fail (data != NULL);

  bytes = g_bytes_get_data (data, &length);
  b64 = g_base64_encode (bytes, length);
  json_object_set_string_member (input, "stdin", b64);
  json_object_set_object_member (request, "process", selector (self->pid));
  json_object_set_object_member (request, "input", input);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, viv_process_send_input_async);
  _viv_connect_call_async (self->sandbox, "process.Process/SendInput", request, cancellable,
                           process_empty_cb, task);
}

/**
 * viv_process_send_input_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: whether the input was delivered
 */
gboolean
viv_process_send_input_finish (VivProcess    *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * viv_process_send_signal_async:
 * @signal_number: the signal
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when sent
 * @user_data: data for @callback
 *
 * Sends a signal to the process.
 */
void
viv_process_send_signal_async (VivProcess          *self,
                               VivSignal            signal_number,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (VIV_IS_PROCESS (self));
  send_signal (self->sandbox, self, viv_process_send_signal_async, self->pid, signal_number,
               cancellable, callback, user_data);
}

/**
 * viv_process_send_signal_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: whether the signal was sent
 */
gboolean
viv_process_send_signal_finish (VivProcess    *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * viv_process_disconnect:
 *
 * Stops following the process's output; the process keeps running.
 */
void
viv_process_disconnect (VivProcess *self)
{
  g_return_if_fail (VIV_IS_PROCESS (self));
  g_cancellable_cancel (self->cancellable);
}
