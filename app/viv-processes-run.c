/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "viv-main-window.h"
#include "viv-processes-run.h"

/* A command line to run in the sandbox, as the E2B SDK's commands.run does
 * (/bin/bash -l -c), with its standard output and error streaming into a
 * text view and its exit code at the end. The view follows one run at a
 * time: starting another leaves the previous one running, unfollowed, as
 * envd does for a client that drops its stream. */

#define MAX_OUTPUT_CHARS (256 * 1024)

enum { STDOUT_STREAM, STDERR_STREAM, N_STREAMS };

struct _VivProcessesRun
{
  GtkWidget          parent_instance;

  /* Template widgets */
  GtkEntry          *command_entry;
  GtkScrolledWindow *output_scroller;
  GtkTextView       *output_view;
  GtkLabel          *status_label;

  VivSandbox        *sandbox;
  VivProcesses      *processes;
  GSignalGroup      *sandbox_signals;
  VivProcess        *process;          /* the run followed, until it ends */
  GCancellable      *cancellable;      /* waiting for it */
  GByteArray        *pending[N_STREAMS]; /* a UTF-8 sequence cut between chunks */
  GtkTextTag        *stderr_tag;
  GtkTextTag        *command_tag;
  GtkTextTag        *status_tag;
  GtkTextMark       *end_mark;
  gboolean           follow_output;    /* keep the end in view: not scrolled up by the user */
};

enum {
  PROP_0,
  PROP_SANDBOX,
  N_PROPS
};

enum {
  PROCESS_STARTED,
  PROCESS_ENDED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (VivProcessesRun, viv_processes_run, GTK_TYPE_WIDGET)

static gboolean
sandbox_running (VivProcessesRun *self)
{
  return self->sandbox != NULL &&
         viv_sandbox_get_state (self->sandbox) == VIV_SANDBOX_STATE_RUNNING;
}

static char *
command_line (VivProcessesRun *self)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->command_entry))));
}

static void
update_actions (VivProcessesRun *self)
{
  g_autofree char *line = command_line (self);
  gboolean running = sandbox_running (self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "run.start", running && *line != '\0');
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "run.stop",
                                 running && self->process != NULL &&
                                 viv_process_get_pid (self->process) != 0);
}

static void
update_tag_colors (VivProcessesRun *self)
{
  gboolean dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
  GdkRGBA color;

  /* libadwaita 1.2's @error_color and @accent_color; text tags take no CSS. */
  gdk_rgba_parse (&color, dark ? "#ff7b63" : "#c01c28");
  g_object_set (self->stderr_tag, "foreground-rgba", &color, NULL);
  gdk_rgba_parse (&color, dark ? "#78aeed" : "#1c71d8");
  g_object_set (self->command_tag, "foreground-rgba", &color, NULL);
  gdk_rgba_parse (&color, dark ? "rgba(255,255,255,0.55)" : "rgba(0,0,0,0.55)");
  g_object_set (self->status_tag, "foreground-rgba", &color, NULL);
}

static gboolean
scrolled_to_end (VivProcessesRun *self)
{
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->output_scroller);

  return gtk_adjustment_get_value (adjustment) + gtk_adjustment_get_page_size (adjustment) >=
         gtk_adjustment_get_upper (adjustment) - 2;
}

/* Whether to follow is decided when the user scrolls, not when output
 * arrives: the view's height grows only once the new text is laid out, after
 * an idle, so by then the end may look scrolled away from although the
 * view is on its way there. */
static void
output_scrolled_cb (VivProcessesRun *self)
{
  self->follow_output = scrolled_to_end (self);
}

/* text must end in a NUL even though the buffer takes a length: GTK 4.8's
 * accessible text view reads what is inserted as a NUL-terminated string, so
 * it would send whatever follows in memory to the accessibility bus (and,
 * when that is not UTF-8, crash in g_variant_new). */
static void
append (VivProcessesRun *self,
        const char      *text,
        GtkTextTag      *tag)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->output_view);
  GtkTextIter iter;
  int excess;

  gtk_text_buffer_get_end_iter (buffer, &iter);
  if (tag != NULL)
    gtk_text_buffer_insert_with_tags (buffer, &iter, text, -1, tag, NULL);
  else
    gtk_text_buffer_insert (buffer, &iter, text, -1);

  /* A chatty command must not grow the buffer without bound: drop whole
   * lines from the top. */
  excess = gtk_text_buffer_get_char_count (buffer) - MAX_OUTPUT_CHARS;
  if (excess > 0)
    {
      GtkTextIter start, cut;

      gtk_text_buffer_get_start_iter (buffer, &start);
      gtk_text_buffer_get_iter_at_offset (buffer, &cut, excess);
      if (!gtk_text_iter_starts_line (&cut))
        gtk_text_iter_forward_line (&cut);
      gtk_text_buffer_delete (buffer, &start, &cut);
    }

  if (self->follow_output)
    gtk_text_view_scroll_to_mark (self->output_view, self->end_mark, 0.0, FALSE, 0.0, 1.0);
}

/* Starts a line of our own (a header, a note) after whatever output left off. */
static void
append_line (VivProcessesRun *self,
             const char      *text,
             GtkTextTag      *tag)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->output_view);
  GtkTextIter end;
  g_autofree char *line = NULL;

  gtk_text_buffer_get_end_iter (buffer, &end);
  line = g_strdup_printf ("%s%s\n", gtk_text_iter_starts_line (&end) ? "" : "\n", text);
  append (self, line, tag);
}

static void
append_output (VivProcessesRun *self,
               guint            stream,
               const guint8    *data,
               gsize            length,
               gboolean         last)
{
  GByteArray *pending = self->pending[stream];
  GtkTextTag *tag = stream == STDERR_STREAM ? self->stderr_tag : NULL;
  const char *end = NULL;
  g_autofree char *text = NULL;
  gsize valid;

  g_byte_array_append (pending, data, length);
  if (pending->len == 0)
    return;

  g_utf8_validate ((const char *) pending->data, pending->len, &end);
  valid = (const guint8 *) end - pending->data;
  /* Up to three bytes of a character may wait for the next chunk. */
  if (!last && valid < pending->len && pending->len - valid < 4 &&
      g_utf8_get_char_validated (end, pending->len - valid) == (gunichar) -2)
    {
      if (valid > 0)
        {
          g_autofree char *complete = g_strndup ((const char *) pending->data, valid);

          append (self, complete, tag);
        }
      g_byte_array_remove_range (pending, 0, valid);
      return;
    }

  /* A NUL byte is not valid here, so it comes out as U+FFFD. */
  text = g_utf8_make_valid ((const char *) pending->data, pending->len);
  append (self, text, tag);
  g_byte_array_set_size (pending, 0);
}

static void
flush_output (VivProcessesRun *self)
{
  for (guint i = 0; i < N_STREAMS; i++)
    append_output (self, i, NULL, 0, TRUE);
}

static void
process_stdout_cb (VivProcess      *process,
                   GBytes          *bytes,
                   VivProcessesRun *self)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (bytes, &length);

  if (process == self->process)
    append_output (self, STDOUT_STREAM, data, length, FALSE);
}

static void
process_stderr_cb (VivProcess      *process,
                   GBytes          *bytes,
                   VivProcessesRun *self)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (bytes, &length);

  if (process == self->process)
    append_output (self, STDERR_STREAM, data, length, FALSE);
}

static void
process_started_cb (VivProcess      *process,
                    guint            pid,
                    VivProcessesRun *self)
{
  g_autofree char *status = NULL;

  if (process != self->process)
    return;

  status = g_strdup_printf (_("Running as process %u"), pid);
  gtk_label_set_label (self->status_label, status);
  update_actions (self);
  g_signal_emit (self, signals[PROCESS_STARTED], 0, pid);
}

/* Stops following the current run; the process itself carries on. */
static void
release_process (VivProcessesRun *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->process != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->process, self);
      viv_process_disconnect (self->process);
      g_clear_object (&self->process);
    }
  for (guint i = 0; i < N_STREAMS; i++)
    g_byte_array_set_size (self->pending[i], 0);
}

static void
wait_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (VivProcessesRun) self = user_data;
  VivProcess *process = VIV_PROCESS (object);
  g_autoptr (GError) error = NULL;
  g_autofree char *message = NULL;
  int exit_code = 0;

  if (!viv_process_wait_finish (process, result, &exit_code, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (process != self->process)
    return;

  flush_output (self);
  if (error != NULL && viv_process_get_pid (process) == 0)
    {
      message = g_strdup_printf (_("Could not run the command: %s"), error->message);
      append_line (self, message, self->stderr_tag);
    }
  else if (error != NULL)
    {
      message = g_strdup_printf (_("Lost the command’s output: %s"), error->message);
      append_line (self, message, self->stderr_tag);
    }
  else
    {
      /* envd reports a process ended by a signal as exit code -1, as Go
       * does (spec: process.proto ProcessEvent.EndEvent). */
      if (exit_code == -1)
        message = g_strdup (_("Ended by a signal (exit code -1)"));
      else
        message = g_strdup_printf (_("Exited with code %d"), exit_code);
      append_line (self, message, exit_code == 0 ? self->status_tag : self->stderr_tag);
    }
  gtk_label_set_label (self->status_label, message);

  release_process (self);
  update_actions (self);
  g_signal_emit (self, signals[PROCESS_ENDED], 0);
}

static void
start_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  VivProcessesRun *self = VIV_PROCESSES_RUN (widget);
  g_autofree char *line = command_line (self);
  g_autofree char *header = NULL;
  const char *argv[] = { "/bin/bash", "-l", "-c", line, NULL };

  if (*line == '\0' || !sandbox_running (self))
    return;

  if (self->process != NULL)
    {
      guint pid = viv_process_get_pid (self->process);
      g_autofree char *note = NULL;

      flush_output (self);
      if (pid != 0)
        note = g_strdup_printf (_("No longer shown here; it keeps running as process %u."), pid);
      else
        note = g_strdup (_("No longer shown here; it keeps running."));
      append_line (self, note, self->status_tag);
      release_process (self);
    }

  /* A new command: show it, even if the last one's output was scrolled up. */
  self->follow_output = TRUE;
  header = g_strdup_printf ("$ %s", line);
  append_line (self, header, self->command_tag);
  gtk_label_set_label (self->status_label, _("Starting…"));

  self->process = viv_processes_start (self->processes, argv, NULL, NULL, NULL, FALSE);
  self->cancellable = g_cancellable_new ();
  g_signal_connect (self->process, "started", G_CALLBACK (process_started_cb), self);
  g_signal_connect (self->process, "stdout", G_CALLBACK (process_stdout_cb), self);
  g_signal_connect (self->process, "stderr", G_CALLBACK (process_stderr_cb), self);
  viv_process_wait_async (self->process, self->cancellable, wait_cb, g_object_ref (self));

  /* Typing again replaces the line; Enter runs it again. */
  gtk_editable_select_region (GTK_EDITABLE (self->command_entry), 0, -1);
  update_actions (self);
}

static void
stop_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (VivProcessesRun) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!viv_process_send_signal_finish (VIV_PROCESS (object), result, &error))
    viv_show_error (GTK_WIDGET (self), _("Could not stop the command"), error);
}

static void
stop_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  VivProcessesRun *self = VIV_PROCESSES_RUN (widget);

  if (self->process == NULL || viv_process_get_pid (self->process) == 0)
    return;
  viv_process_send_signal_async (self->process, VIV_SIGNAL_SIGTERM, NULL, stop_cb,
                                 g_object_ref (self));
}

static void
clear_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  VivProcessesRun *self = VIV_PROCESSES_RUN (widget);

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->output_view), "", 0);
}

static void
entry_activate_cb (VivProcessesRun *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "run.start", NULL);
}

static void
viv_processes_run_dispose (GObject *object)
{
  VivProcessesRun *self = VIV_PROCESSES_RUN (object);
  GtkWidget *child;

  viv_processes_run_set_sandbox (self, NULL);
  g_clear_object (&self->sandbox_signals);
  gtk_widget_dispose_template (GTK_WIDGET (self), VIV_TYPE_PROCESSES_RUN);
  /* The template's top box is not a bound child, so it is ours to drop. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (viv_processes_run_parent_class)->dispose (object);
}

static void
viv_processes_run_finalize (GObject *object)
{
  VivProcessesRun *self = VIV_PROCESSES_RUN (object);

  for (guint i = 0; i < N_STREAMS; i++)
    g_byte_array_unref (self->pending[i]);

  G_OBJECT_CLASS (viv_processes_run_parent_class)->finalize (object);
}

static void
viv_processes_run_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  VivProcessesRun *self = VIV_PROCESSES_RUN (object);

  switch (prop_id)
    {
    case PROP_SANDBOX:
      g_value_set_object (value, self->sandbox);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_processes_run_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  VivProcessesRun *self = VIV_PROCESSES_RUN (object);

  switch (prop_id)
    {
    case PROP_SANDBOX:
      viv_processes_run_set_sandbox (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_processes_run_class_init (VivProcessesRunClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = viv_processes_run_dispose;
  object_class->finalize = viv_processes_run_finalize;
  object_class->get_property = viv_processes_run_get_property;
  object_class->set_property = viv_processes_run_set_property;

  properties[PROP_SANDBOX] =
    g_param_spec_object ("sandbox", NULL, NULL, VIV_TYPE_SANDBOX,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * VivProcessesRun::process-started:
   * @self: the run view
   * @pid: the command's pid in the sandbox
   *
   * A command typed here runs.
   */
  signals[PROCESS_STARTED] =
    g_signal_new ("process-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  /**
   * VivProcessesRun::process-ended:
   * @self: the run view
   *
   * The command followed here ended.
   */
  signals[PROCESS_ENDED] =
    g_signal_new ("process-ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/vivarium/Vivarium/viv-processes-run.ui");
  gtk_widget_class_bind_template_child (widget_class, VivProcessesRun, command_entry);
  gtk_widget_class_bind_template_child (widget_class, VivProcessesRun, output_scroller);
  gtk_widget_class_bind_template_child (widget_class, VivProcessesRun, output_view);
  gtk_widget_class_bind_template_child (widget_class, VivProcessesRun, status_label);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);

  gtk_widget_class_install_action (widget_class, "run.start", NULL, start_action);
  gtk_widget_class_install_action (widget_class, "run.stop", NULL, stop_action);
  gtk_widget_class_install_action (widget_class, "run.clear", NULL, clear_action);
}

static void
viv_processes_run_init (VivProcessesRun *self)
{
  GtkTextBuffer *buffer;
  GtkTextIter end;

  gtk_widget_init_template (GTK_WIDGET (self));

  for (guint i = 0; i < N_STREAMS; i++)
    self->pending[i] = g_byte_array_new ();

  buffer = gtk_text_view_get_buffer (self->output_view);
  self->stderr_tag = gtk_text_buffer_create_tag (buffer, "stderr", NULL);
  self->command_tag = gtk_text_buffer_create_tag (buffer, "command",
                                                  "weight", PANGO_WEIGHT_BOLD,
                                                  "pixels-above-lines", 6,
                                                  NULL);
  self->status_tag = gtk_text_buffer_create_tag (buffer, "status", "style", PANGO_STYLE_ITALIC, NULL);
  gtk_text_buffer_get_end_iter (buffer, &end);
  self->end_mark = gtk_text_buffer_create_mark (buffer, "end", &end, FALSE);
  update_tag_colors (self);
  self->follow_output = TRUE;
  g_signal_connect_swapped (gtk_scrolled_window_get_vadjustment (self->output_scroller), "value-changed",
                            G_CALLBACK (output_scrolled_cb), self);
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                           G_CALLBACK (update_tag_colors), self, G_CONNECT_SWAPPED);

  g_signal_connect_swapped (self->command_entry, "changed", G_CALLBACK (update_actions), self);
  g_signal_connect_swapped (self->command_entry, "activate", G_CALLBACK (entry_activate_cb), self);

  self->sandbox_signals = g_signal_group_new (VIV_TYPE_SANDBOX);
  g_signal_group_connect_swapped (self->sandbox_signals, "notify::state",
                                  G_CALLBACK (update_actions), self);
  update_actions (self);
}

VivSandbox *
viv_processes_run_get_sandbox (VivProcessesRun *self)
{
  g_return_val_if_fail (VIV_IS_PROCESSES_RUN (self), NULL);

  return self->sandbox;
}

void
viv_processes_run_set_sandbox (VivProcessesRun *self,
                               VivSandbox      *sandbox)
{
  g_return_if_fail (VIV_IS_PROCESSES_RUN (self));
  g_return_if_fail (!sandbox || VIV_IS_SANDBOX (sandbox));

  if (!g_set_object (&self->sandbox, sandbox))
    return;

  /* Another sandbox: what ran in the last one is not this one's output. */
  release_process (self);
  g_clear_object (&self->processes);
  if (sandbox != NULL)
    self->processes = viv_processes_new (sandbox);
  if (self->sandbox_signals != NULL)
    g_signal_group_set_target (self->sandbox_signals, sandbox);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->output_view), "", 0);
  gtk_label_set_label (self->status_label, _("Commands run with /bin/bash -l -c"));
  update_actions (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SANDBOX]);
}
