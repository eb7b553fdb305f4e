/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <vivarium-widgets.h>

#include "viv-application.h"
#include "viv-format.h"
#include "viv-sandbox-card.h"

/* One sandbox in the overview: a live, view-only thumbnail of its desktop
 * over its own display stream, and what a supervisor scans for: state,
 * template, account, age and time left. Cards are recycled by the grid, so
 * everything follows the "sandbox" property. */
struct _VivSandboxCard
{
  GtkWidget         parent_instance;

  GtkStack         *preview_stack;
  VivSandboxTile   *tile;
  GtkImage         *placeholder_image;
  GtkLabel         *state_label;
  GtkLabel         *title_label;
  GtkLabel         *details_label;
  GtkLabel         *time_label;

  VivSandbox       *sandbox;
  GSignalGroup     *sandbox_signals;
  VivDisplayStream *stream;
  GCancellable     *cancellable;
  guint             retry_source;
  guint             retry_seconds;
  guint             clock_source;
  gboolean          no_display;
};

enum {
  PROP_0,
  PROP_SANDBOX,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (VivSandboxCard, viv_sandbox_card, GTK_TYPE_WIDGET)

#define CLOCK_INTERVAL_SECONDS 15
#define MAX_RETRY_SECONDS 30

static void open_stream              (VivSandboxCard *self);
static void tile_reconnect_needed_cb (VivSandboxCard *self);

static void
update_times (VivSandboxCard *self)
{
  g_autofree char *age = NULL;
  g_autofree char *left = NULL;
  g_autofree char *text = NULL;

  if (self->sandbox == NULL)
    return;

  age = viv_format_age (self->sandbox);
  left = viv_format_time_left (self->sandbox);
  if (age != NULL && left != NULL)
    text = g_strdup_printf ("%s · %s", age, left);
  else
    text = g_strdup (age ? age : left ? left : "");
  gtk_label_set_label (self->time_label, text);
}

static gboolean
clock_cb (gpointer user_data)
{
  update_times (user_data);
  return G_SOURCE_CONTINUE;
}

static void
close_stream (VivSandboxCard *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->retry_source, g_source_remove);
  /* Our own close is not a lost connection to make up for. */
  g_signal_handlers_block_by_func (self->tile, tile_reconnect_needed_cb, self);
  viv_sandbox_tile_close (self->tile);
  g_signal_handlers_unblock_by_func (self->tile, tile_reconnect_needed_cb, self);
  if (self->stream != NULL)
    viv_display_stream_close (self->stream);
  g_clear_object (&self->stream);
}

static gboolean
retry_cb (gpointer user_data)
{
  VivSandboxCard *self = user_data;

  self->retry_source = 0;
  open_stream (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry (VivSandboxCard *self)
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
  g_autoptr (VivSandboxCard) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (VivDisplayStream) stream = viv_display_stream_new_finish (result, &error);

  if (stream == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->sandbox == NULL)
        return;
      /* A sandbox without a display (the base template) has nothing to show. */
      if (g_error_matches (error, VIV_ERROR, VIV_ERROR_NOT_FOUND) ||
          g_error_matches (error, VIV_ERROR, VIV_ERROR_NOT_SUPPORTED))
        {
          self->no_display = TRUE;
          gtk_image_set_from_icon_name (self->placeholder_image, "computer-symbolic");
          gtk_stack_set_visible_child_name (self->preview_stack, "placeholder");
          return;
        }
      g_debug ("No display stream for %s yet: %s", viv_sandbox_get_id (self->sandbox), error->message);
      schedule_retry (self);
      return;
    }

  g_set_object (&self->stream, stream);
  viv_sandbox_tile_set_password (self->tile, viv_display_stream_get_vnc_password (stream));
  viv_sandbox_tile_open_fd (self->tile, viv_display_stream_steal_fd (stream));
  gtk_stack_set_visible_child_name (self->preview_stack, "tile");
}

static void
open_stream (VivSandboxCard *self)
{
  if (self->sandbox == NULL || self->no_display ||
      viv_sandbox_get_state (self->sandbox) != VIV_SANDBOX_STATE_RUNNING)
    return;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  viv_display_stream_new_async (self->sandbox, TRUE, NULL, self->cancellable,
                                stream_opened_cb, g_object_ref (self));
}

static void
tile_reconnect_needed_cb (VivSandboxCard *self)
{
  g_clear_object (&self->stream);
  schedule_retry (self);
}

static void
tile_state_cb (VivSandboxCard *self)
{
  /* Back off only while failing. */
  if (viv_sandbox_tile_get_state (self->tile) == VIV_DISPLAY_STATE_CONNECTED)
    self->retry_seconds = 0;
}

static void
update_state (VivSandboxCard *self)
{
  VivSandboxState state;

  if (self->sandbox == NULL)
    return;

  state = viv_sandbox_get_state (self->sandbox);
  gtk_label_set_label (self->state_label, viv_format_state (state));
  gtk_widget_set_css_classes (GTK_WIDGET (self->state_label),
                              (const char *[]) { "state-pill", "caption-heading",
                                                 viv_format_state_css (state), NULL });
  update_times (self);

  if (state == VIV_SANDBOX_STATE_RUNNING)
    {
      if (self->stream == NULL && self->cancellable == NULL)
        open_stream (self);
      if (!self->no_display)
        gtk_stack_set_visible_child_name (self->preview_stack, "tile");
    }
  else
    {
      close_stream (self);
      gtk_image_set_from_icon_name (self->placeholder_image,
                                    state == VIV_SANDBOX_STATE_PAUSED
                                      ? "media-playback-pause-symbolic"
                                      : "process-stop-symbolic");
      gtk_stack_set_visible_child_name (self->preview_stack, "placeholder");
    }
}

static void
update_labels (VivSandboxCard *self)
{
  g_autofree char *details = NULL;
  g_autofree char *accessible = NULL;

  if (self->sandbox == NULL)
    return;

  details = viv_format_details (self->sandbox);
  gtk_label_set_label (self->title_label, viv_sandbox_get_id (self->sandbox));
  gtk_label_set_label (self->details_label, details);
  /* Screen readers (and the tests) name the card after its sandbox. */
  accessible = g_strdup_printf ("%s, %s", viv_sandbox_get_id (self->sandbox),
                                viv_format_state (viv_sandbox_get_state (self->sandbox)));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
}

static void
sandbox_state_cb (VivSandboxCard *self)
{
  update_state (self);
  update_labels (self);
}

static void
apply_tile_interval (VivSandboxCard *self)
{
  GSettings *settings = viv_application_get_settings (VIV_APPLICATION_DEFAULT);
  double seconds = settings ? g_settings_get_double (settings, "tile-refresh-interval") : 1.0;

  viv_sandbox_tile_set_interval (self->tile, (guint) CLAMP (seconds * 1000, 50, 600000));
}

static void
viv_sandbox_card_dispose (GObject *object)
{
  VivSandboxCard *self = VIV_SANDBOX_CARD (object);
  GtkWidget *child;

  close_stream (self);
  g_clear_handle_id (&self->clock_source, g_source_remove);
  g_clear_object (&self->sandbox_signals);
  gtk_widget_dispose_template (GTK_WIDGET (self), VIV_TYPE_SANDBOX_CARD);
  /* The template's top box is not a bound child, so it is ours to drop. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->sandbox);

  G_OBJECT_CLASS (viv_sandbox_card_parent_class)->dispose (object);
}

static void
viv_sandbox_card_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  VivSandboxCard *self = VIV_SANDBOX_CARD (object);

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
viv_sandbox_card_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  VivSandboxCard *self = VIV_SANDBOX_CARD (object);

  switch (prop_id)
    {
    case PROP_SANDBOX:
      viv_sandbox_card_set_sandbox (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_sandbox_card_class_init (VivSandboxCardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = viv_sandbox_card_dispose;
  object_class->get_property = viv_sandbox_card_get_property;
  object_class->set_property = viv_sandbox_card_set_property;

  properties[PROP_SANDBOX] =
    g_param_spec_object ("sandbox", NULL, NULL, VIV_TYPE_SANDBOX,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (VIV_TYPE_SANDBOX_TILE);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/vivarium/Vivarium/viv-sandbox-card.ui");
  gtk_widget_class_bind_template_child (widget_class, VivSandboxCard, preview_stack);
  gtk_widget_class_bind_template_child (widget_class, VivSandboxCard, tile);
  gtk_widget_class_bind_template_child (widget_class, VivSandboxCard, placeholder_image);
  gtk_widget_class_bind_template_child (widget_class, VivSandboxCard, state_label);
  gtk_widget_class_bind_template_child (widget_class, VivSandboxCard, title_label);
  gtk_widget_class_bind_template_child (widget_class, VivSandboxCard, details_label);
  gtk_widget_class_bind_template_child (widget_class, VivSandboxCard, time_label);
  gtk_widget_class_set_css_name (widget_class, "vivsandboxcard");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
viv_sandbox_card_init (VivSandboxCard *self)
{
  GSettings *settings = viv_application_get_settings (VIV_APPLICATION_DEFAULT);

  gtk_widget_init_template (GTK_WIDGET (self));

  self->sandbox_signals = g_signal_group_new (VIV_TYPE_SANDBOX);
  g_signal_group_connect_swapped (self->sandbox_signals, "notify::state",
                                  G_CALLBACK (sandbox_state_cb), self);
  g_signal_group_connect_swapped (self->sandbox_signals, "notify::end-at",
                                  G_CALLBACK (update_times), self);
  g_signal_group_connect_swapped (self->sandbox_signals, "notify::template-id",
                                  G_CALLBACK (update_labels), self);

  g_signal_connect_swapped (self->tile, "reconnect-needed",
                            G_CALLBACK (tile_reconnect_needed_cb), self);
  g_signal_connect_swapped (self->tile, "notify::state", G_CALLBACK (tile_state_cb), self);

  apply_tile_interval (self);
  if (settings != NULL)
    g_signal_connect_object (settings, "changed::tile-refresh-interval",
                             G_CALLBACK (apply_tile_interval), self, G_CONNECT_SWAPPED);

  self->clock_source = g_timeout_add_seconds (CLOCK_INTERVAL_SECONDS, clock_cb, self);
}

VivSandbox *
viv_sandbox_card_get_sandbox (VivSandboxCard *self)
{
  g_return_val_if_fail (VIV_IS_SANDBOX_CARD (self), NULL);

  return self->sandbox;
}

void
viv_sandbox_card_set_sandbox (VivSandboxCard *self,
                              VivSandbox     *sandbox)
{
  g_return_if_fail (VIV_IS_SANDBOX_CARD (self));
  g_return_if_fail (!sandbox || VIV_IS_SANDBOX (sandbox));

  if (self->sandbox == sandbox)
    return;

  close_stream (self);
  g_set_object (&self->sandbox, sandbox);
  g_signal_group_set_target (self->sandbox_signals, sandbox);
  self->no_display = FALSE;
  self->retry_seconds = 0;

  update_labels (self);
  update_state (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SANDBOX]);
}
