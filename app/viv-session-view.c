/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "viv-application.h"
#include "viv-format.h"
#include "viv-session-view-private.h"
#include "viv-main-window.h"

/* One sandbox big: its desktop, live, view-only until the user takes over.
 * The stream follows the sandbox: a paused sandbox shows that it is paused,
 * a resumed one reconnects, a killed one says it is gone. */

enum {
  PROP_0,
  PROP_SANDBOX,
  PROP_TAKEN_OVER,
  PROP_ONE_TO_ONE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (VivSessionView, viv_session_view, GTK_TYPE_WIDGET)

#define MAX_RETRY_SECONDS 16

/* "Ada Lovelace (Vivarium)": who the agent is told holds its desktop. */
static char *
default_holder (void)
{
  const char *name = g_get_real_name ();

  if (name == NULL || *name == '\0' || g_strcmp0 (name, "Unknown") == 0)
    name = g_get_user_name ();
  return g_strdup_printf ("%s (Vivarium)", name);
}

static void display_reconnect_needed_cb (VivSessionView *self);

static void
close_display (VivSessionView *self)
{
  g_cancellable_cancel (self->stream_cancellable);
  g_clear_object (&self->stream_cancellable);
  g_clear_handle_id (&self->retry_source, g_source_remove);
  /* Our own close is not a lost connection to make up for. */
  g_signal_handlers_block_by_func (self->display_view, display_reconnect_needed_cb, self);
  viv_display_view_close (self->display_view);
  g_signal_handlers_unblock_by_func (self->display_view, display_reconnect_needed_cb, self);
  if (self->stream != NULL)
    viv_display_stream_close (self->stream);
  g_clear_object (&self->stream);
}

static void
update_title (VivSessionView *self)
{
  g_autofree char *details = NULL;
  g_autofree char *subtitle = NULL;

  if (self->sandbox == NULL)
    return;

  details = viv_format_details (self->sandbox);
  subtitle = g_strdup_printf ("%s · %s", details,
                              viv_format_state (viv_sandbox_get_state (self->sandbox)));
  adw_window_title_set_title (self->window_title, viv_sandbox_get_id (self->sandbox));
  adw_window_title_set_subtitle (self->window_title, subtitle);
}

static void
update_takeover_ui (VivSessionView *self)
{
  gtk_stack_set_visible_child_name (self->takeover_stack, self->taken_over ? "driving" : "watching");
  gtk_revealer_set_reveal_child (self->takeover_revealer, self->taken_over);
  gtk_label_set_label (self->takeover_label,
                       self->no_guest
                         ? _("Your input reaches this desktop. It does not run the Vivarium guest, so the agent is not told to wait. Press Ctrl+Alt to release the keyboard.")
                         : _("You are in control: the agent waits until you hand the desktop back. Press Ctrl+Alt to release the keyboard."));
}

void
_viv_session_view_update_actions (VivSessionView *self)
{
  VivSandboxState state = self->sandbox ? viv_sandbox_get_state (self->sandbox)
                                        : VIV_SANDBOX_STATE_UNKNOWN;
  gboolean running = state == VIV_SANDBOX_STATE_RUNNING;
  gboolean connected = viv_display_view_get_state (self->display_view) == VIV_DISPLAY_STATE_CONNECTED;
  GtkWidget *widget = GTK_WIDGET (self);

  gtk_widget_action_set_enabled (widget, "session.take-over",
                                 running && !self->no_display && !self->taken_over && !self->busy);
  gtk_widget_action_set_enabled (widget, "session.hand-back", self->taken_over && !self->busy);
  gtk_widget_action_set_enabled (widget, "session.pause", running);
  gtk_widget_action_set_enabled (widget, "session.resume", state == VIV_SANDBOX_STATE_PAUSED);
  gtk_widget_action_set_enabled (widget, "session.extend", running);
  gtk_widget_action_set_enabled (widget, "session.kill",
                                 running || state == VIV_SANDBOX_STATE_PAUSED);
  gtk_widget_action_set_enabled (widget, "session.save-screenshot", connected);
  gtk_widget_action_set_enabled (widget, "session.copy-screenshot", connected);
  gtk_widget_action_set_enabled (widget, "session.send-keys", connected && self->taken_over);
}

static void
update_content (VivSessionView *self)
{
  const char *page = "display";

  if (self->sandbox == NULL)
    return;

  switch (viv_sandbox_get_state (self->sandbox))
    {
    case VIV_SANDBOX_STATE_PAUSED:
      page = "paused";
      break;
    case VIV_SANDBOX_STATE_KILLED:
      page = "gone";
      break;
    case VIV_SANDBOX_STATE_RUNNING:
    case VIV_SANDBOX_STATE_UNKNOWN:
    default:
      /* The view stays shown while it (re)connects, with its last frame. */
      if (self->no_display)
        page = "no-display";
      else
        page = "display";
      gtk_widget_set_visible (self->connecting_box,
                              viv_display_view_get_state (self->display_view) != VIV_DISPLAY_STATE_CONNECTED);
      break;
    }

  gtk_stack_set_visible_child_name (self->content_stack, page);
  _viv_session_view_update_actions (self);
}

static gboolean
retry_cb (gpointer user_data)
{
  VivSessionView *self = user_data;

  self->retry_source = 0;
  _viv_session_view_connect_display (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry (VivSessionView *self)
{
  g_clear_handle_id (&self->retry_source, g_source_remove);
  self->retry_seconds = CLAMP (self->retry_seconds * 2, 1, MAX_RETRY_SECONDS);
  self->retry_source = g_timeout_add_seconds (self->retry_seconds, retry_cb, self);
}

static void
stream_opened_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (VivSessionView) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (VivDisplayStream) stream = viv_display_stream_new_finish (result, &error);

  if (stream == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->sandbox == NULL)
        return;
      if (g_error_matches (error, VIV_ERROR, VIV_ERROR_NOT_FOUND) ||
          g_error_matches (error, VIV_ERROR, VIV_ERROR_NOT_SUPPORTED))
        {
          self->no_display = TRUE;
          update_content (self);
          return;
        }
          schedule_retry (self);
      return;
    }

  g_set_object (&self->stream, stream);
  viv_display_view_set_input_enabled (self->display_view, self->taken_over);
  viv_display_view_set_password (self->display_view, viv_display_stream_get_vnc_password (stream));
  viv_display_view_open_fd (self->display_view, viv_display_stream_steal_fd (stream));
}

/* A new stream: view-only while watching, with our holder name while we
 * hold the takeover lock (the guest lets only the holder's input through). */
void
_viv_session_view_connect_display (VivSessionView *self)
{
  gboolean view_only = !self->taken_over;
  const char *holder = self->taken_over && !self->no_guest ? self->holder : NULL;

  close_display (self);
  if (self->sandbox == NULL || self->no_display ||
      viv_sandbox_get_state (self->sandbox) != VIV_SANDBOX_STATE_RUNNING)
    return;

  self->stream_cancellable = g_cancellable_new ();
  viv_display_stream_new_async (self->sandbox, view_only, holder, self->stream_cancellable,
                                stream_opened_cb, g_object_ref (self));
  update_content (self);
}

static void
display_state_cb (VivSessionView *self)
{
  if (viv_display_view_get_state (self->display_view) == VIV_DISPLAY_STATE_CONNECTED)
    {
      self->retry_seconds = 0;
      if (self->taken_over)
        {
          gtk_widget_grab_focus (GTK_WIDGET (self->display_view));
          viv_display_view_grab_keyboard (self->display_view);
        }
    }
  update_content (self);
}

static void
display_reconnect_needed_cb (VivSessionView *self)
{
  g_clear_object (&self->stream);
  if (self->sandbox != NULL && viv_sandbox_get_state (self->sandbox) == VIV_SANDBOX_STATE_RUNNING)
    schedule_retry (self);
}

static void
sandbox_state_cb (VivSessionView *self)
{
  VivSandboxState state = viv_sandbox_get_state (self->sandbox);

  update_title (self);
  if (state == VIV_SANDBOX_STATE_RUNNING)
    {
      if (self->stream == NULL && self->stream_cancellable == NULL && self->retry_source == 0)
        _viv_session_view_connect_display (self);
    }
  else
    {
      close_display (self);
      /* A paused or killed desktop is nobody's to hold; the guest is
       * frozen or gone, so there is nothing to release either. */
      if (self->taken_over)
        {
          self->taken_over = FALSE;
          self->no_guest = FALSE;
          update_takeover_ui (self);
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TAKEN_OVER]);
        }
    }
  update_content (self);
}

static void
refreshed_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (GError) error = NULL;

  /* A sandbox that is gone becomes KILLED, which notifies; other errors
   * (a host restarting) are retried at the next poll. */
  if (!viv_sandbox_refresh_finish (VIV_SANDBOX (object), result, &error))
    g_debug ("Refreshing the sandbox: %s", error->message);
}

static gboolean
poll_cb (gpointer user_data)
{
  VivSessionView *self = user_data;

  if (self->sandbox != NULL && viv_sandbox_get_state (self->sandbox) != VIV_SANDBOX_STATE_KILLED)
    viv_sandbox_refresh_async (self->sandbox, self->cancellable, refreshed_cb, NULL);
  return G_SOURCE_CONTINUE;
}

static void
set_one_to_one (VivSessionView *self,
                gboolean        one_to_one)
{
  if (self->one_to_one == one_to_one)
    return;
  self->one_to_one = one_to_one;
  viv_display_view_set_zoom (self->display_view,
                             one_to_one ? VIV_DISPLAY_ZOOM_ORIGINAL : VIV_DISPLAY_ZOOM_FIT);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ONE_TO_ONE]);
}

static void
fullscreen_changed_cb (VivSessionView *self,
                       GParamSpec     *pspec,
                       GtkWindow      *window)
{
  gtk_revealer_set_reveal_child (self->header_revealer, !gtk_window_is_fullscreen (window));
}

/* In fullscreen the header hides, and comes back while the pointer is at
 * the top edge. */
static void
motion_cb (VivSessionView           *self,
           double                    x,
           double                    y,
           GtkEventControllerMotion *controller)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (!GTK_IS_WINDOW (root) || !gtk_window_is_fullscreen (GTK_WINDOW (root)))
    return;
  if (y < 6)
    gtk_revealer_set_reveal_child (self->header_revealer, TRUE);
  else if (y > 80)
    gtk_revealer_set_reveal_child (self->header_revealer, FALSE);
}

static void
viv_session_view_map (GtkWidget *widget)
{
  VivSessionView *self = VIV_SESSION_VIEW (widget);
  GtkRoot *root = gtk_widget_get_root (widget);

  GTK_WIDGET_CLASS (viv_session_view_parent_class)->map (widget);

  if (GTK_IS_WINDOW (root) && self->fullscreen_handler == 0)
    self->fullscreen_handler = g_signal_connect_swapped (root, "notify::fullscreened",
                                                         G_CALLBACK (fullscreen_changed_cb), self);
}

static void
viv_session_view_unmap (GtkWidget *widget)
{
  VivSessionView *self = VIV_SESSION_VIEW (widget);
  GtkRoot *root = gtk_widget_get_root (widget);

  if (root != NULL && self->fullscreen_handler != 0)
    g_clear_signal_handler (&self->fullscreen_handler, root);

  GTK_WIDGET_CLASS (viv_session_view_parent_class)->unmap (widget);
}

static void
viv_session_view_dispose (GObject *object)
{
  VivSessionView *self = VIV_SESSION_VIEW (object);
  GtkWidget *child;

  viv_session_view_set_sandbox (self, NULL);
  g_clear_object (&self->sandbox_signals);
  gtk_widget_dispose_template (GTK_WIDGET (self), VIV_TYPE_SESSION_VIEW);
  /* The template's top box is not a bound child, so it is ours to drop. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (viv_session_view_parent_class)->dispose (object);
}

static void
viv_session_view_finalize (GObject *object)
{
  VivSessionView *self = VIV_SESSION_VIEW (object);

  g_free (self->holder);

  G_OBJECT_CLASS (viv_session_view_parent_class)->finalize (object);
}

static void
viv_session_view_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  VivSessionView *self = VIV_SESSION_VIEW (object);

  switch (prop_id)
    {
    case PROP_SANDBOX:
      g_value_set_object (value, self->sandbox);
      break;
    case PROP_TAKEN_OVER:
      g_value_set_boolean (value, self->taken_over);
      break;
    case PROP_ONE_TO_ONE:
      g_value_set_boolean (value, self->one_to_one);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_session_view_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  VivSessionView *self = VIV_SESSION_VIEW (object);

  switch (prop_id)
    {
    case PROP_SANDBOX:
      viv_session_view_set_sandbox (self, g_value_get_object (value));
      break;
    case PROP_ONE_TO_ONE:
      set_one_to_one (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_session_view_class_init (VivSessionViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = viv_session_view_dispose;
  object_class->finalize = viv_session_view_finalize;
  object_class->get_property = viv_session_view_get_property;
  object_class->set_property = viv_session_view_set_property;
  widget_class->map = viv_session_view_map;
  widget_class->unmap = viv_session_view_unmap;

  properties[PROP_SANDBOX] =
    g_param_spec_object ("sandbox", NULL, NULL, VIV_TYPE_SANDBOX,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TAKEN_OVER] =
    g_param_spec_boolean ("taken-over", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ONE_TO_ONE] =
    g_param_spec_boolean ("one-to-one", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (VIV_TYPE_DISPLAY_VIEW);
  g_type_ensure (VIV_TYPE_FILES_PANEL);
  g_type_ensure (VIV_TYPE_PROCESSES_PANEL);
  g_type_ensure (VIV_TYPE_DETAILS_PANEL);
  g_type_ensure (VIV_TYPE_ACTION_LOG);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/vivarium/Vivarium/viv-session-view.ui");
  gtk_widget_class_bind_template_child (widget_class, VivSessionView, header_revealer);
  gtk_widget_class_bind_template_child (widget_class, VivSessionView, window_title);
  gtk_widget_class_bind_template_child (widget_class, VivSessionView, takeover_stack);
  gtk_widget_class_bind_template_child (widget_class, VivSessionView, takeover_revealer);
  gtk_widget_class_bind_template_child (widget_class, VivSessionView, takeover_label);
  gtk_widget_class_bind_template_child (widget_class, VivSessionView, content_stack);
  gtk_widget_class_bind_template_child (widget_class, VivSessionView, display_view);
  gtk_widget_class_bind_template_child (widget_class, VivSessionView, connecting_box);
  gtk_widget_class_bind_template_child (widget_class, VivSessionView, flap);
  gtk_widget_class_bind_template_child (widget_class, VivSessionView, panel_stack);
  gtk_widget_class_bind_template_child (widget_class, VivSessionView, files_panel);
  gtk_widget_class_bind_template_child (widget_class, VivSessionView, processes_panel);
  gtk_widget_class_bind_template_child (widget_class, VivSessionView, details_panel);
  gtk_widget_class_bind_template_child (widget_class, VivSessionView, action_log);

  _viv_session_view_class_init_actions (widget_class);
}

static void
action_log_mark_point_cb (VivSessionView *self,
                          int             x,
                          int             y)
{
  viv_display_view_mark_point (self->display_view, x, y);
}

static void
viv_session_view_init (VivSessionView *self)
{
  GtkEventController *motion;
  GtkEventController *shortcuts;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->holder = default_holder ();
  self->sandbox_signals = g_signal_group_new (VIV_TYPE_SANDBOX);
  g_signal_group_connect_swapped (self->sandbox_signals, "notify::state",
                                  G_CALLBACK (sandbox_state_cb), self);
  g_signal_group_connect_swapped (self->sandbox_signals, "notify::template-id",
                                  G_CALLBACK (update_title), self);

  g_signal_connect_swapped (self->display_view, "notify::state",
                            G_CALLBACK (display_state_cb), self);
  g_signal_connect_swapped (self->display_view, "reconnect-needed",
                            G_CALLBACK (display_reconnect_needed_cb), self);
  g_signal_connect_swapped (self->action_log, "mark-point",
                            G_CALLBACK (action_log_mark_point_cb), self);

  /* F9 works wherever the focus is in the window, not only inside the
   * view (the application's accelerators need a focused descendant). */
  shortcuts = gtk_shortcut_controller_new ();
  gtk_shortcut_controller_set_scope (GTK_SHORTCUT_CONTROLLER (shortcuts), GTK_SHORTCUT_SCOPE_GLOBAL);
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_F9, 0),
                                                          gtk_named_action_new ("session.toggle-panel")));
  gtk_widget_add_controller (GTK_WIDGET (self), shortcuts);

  motion = gtk_event_controller_motion_new ();
  gtk_event_controller_set_propagation_phase (motion, GTK_PHASE_CAPTURE);
  g_signal_connect_swapped (motion, "motion", G_CALLBACK (motion_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);

  update_takeover_ui (self);
  _viv_session_view_update_actions (self);
}

VivSandbox *
viv_session_view_get_sandbox (VivSessionView *self)
{
  g_return_val_if_fail (VIV_IS_SESSION_VIEW (self), NULL);

  return self->sandbox;
}

void
viv_session_view_set_sandbox (VivSessionView *self,
                              VivSandbox     *sandbox)
{
  GSettings *settings;

  g_return_if_fail (VIV_IS_SESSION_VIEW (self));
  g_return_if_fail (!sandbox || VIV_IS_SANDBOX (sandbox));

  if (self->sandbox == sandbox)
    return;

  /* Leaving a desktop we hold hands it back: nobody would be watching it. */
  if (self->taken_over)
    _viv_session_view_release_takeover (self);

  close_display (self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->poll_source, g_source_remove);
  self->taken_over = FALSE;
  self->no_guest = FALSE;
  self->busy = FALSE;
  self->no_display = FALSE;
  self->retry_seconds = 0;

  g_set_object (&self->sandbox, sandbox);
  g_clear_object (&self->desktop);
  if (sandbox != NULL)
    self->desktop = viv_desktop_new (sandbox);
  g_signal_group_set_target (self->sandbox_signals, sandbox);
  viv_files_panel_set_sandbox (self->files_panel, sandbox);
  viv_processes_panel_set_sandbox (self->processes_panel, sandbox);
  viv_details_panel_set_sandbox (self->details_panel, sandbox);
  viv_action_log_set_desktop (self->action_log, self->desktop);

  if (sandbox != NULL)
    {
      guint interval = viv_sandbox_list_get_interval (
        viv_accounts_get_sandboxes (viv_application_get_accounts (VIV_APPLICATION_DEFAULT)));

      self->cancellable = g_cancellable_new ();
      self->poll_source = g_timeout_add_seconds (MAX (interval, 1), poll_cb, self);

      settings = viv_application_get_settings (VIV_APPLICATION_DEFAULT);
      set_one_to_one (self, settings != NULL &&
                            g_settings_get_enum (settings, "default-view-mode") == 1);

      update_title (self);
      _viv_session_view_connect_display (self);
    }

  update_takeover_ui (self);
  update_content (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TAKEN_OVER]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SANDBOX]);
}

gboolean
viv_session_view_get_taken_over (VivSessionView *self)
{
  g_return_val_if_fail (VIV_IS_SESSION_VIEW (self), FALSE);

  return self->taken_over;
}

void
_viv_session_view_set_taken_over (VivSessionView *self,
                                  gboolean        taken_over,
                                  gboolean        no_guest)
{
  self->taken_over = taken_over;
  self->no_guest = no_guest;
  if (!taken_over)
    {
      viv_display_view_ungrab_keyboard (self->display_view);
      viv_display_view_set_input_enabled (self->display_view, FALSE);
    }
  update_takeover_ui (self);
  _viv_session_view_connect_display (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TAKEN_OVER]);
}
