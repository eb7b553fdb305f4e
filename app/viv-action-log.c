/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "viv-action-log.h"

/* The agent's actions as a timeline, from the guest's event stream. */
struct _VivActionLog
{
  GtkWidget parent_instance;

  VivDesktop *desktop;
};

enum {
  PROP_0,
  PROP_DESKTOP,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (VivActionLog, viv_action_log, GTK_TYPE_WIDGET)

static void
viv_action_log_dispose (GObject *object)
{
  VivActionLog *self = VIV_ACTION_LOG (object);
  GtkWidget *child;

  viv_action_log_set_desktop (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), VIV_TYPE_ACTION_LOG);
  /* The template's top box is not a bound child, so it is ours to drop. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (viv_action_log_parent_class)->dispose (object);
}

static void
viv_action_log_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  VivActionLog *self = VIV_ACTION_LOG (object);

  switch (prop_id)
    {
    case PROP_DESKTOP:
      g_value_set_object (value, self->desktop);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_action_log_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  VivActionLog *self = VIV_ACTION_LOG (object);

  switch (prop_id)
    {
    case PROP_DESKTOP:
      viv_action_log_set_desktop (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_action_log_class_init (VivActionLogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = viv_action_log_dispose;
  object_class->get_property = viv_action_log_get_property;
  object_class->set_property = viv_action_log_set_property;

  properties[PROP_DESKTOP] =
    g_param_spec_object ("desktop", NULL, NULL, VIV_TYPE_DESKTOP,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/vivarium/Vivarium/viv-action-log.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
viv_action_log_init (VivActionLog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

VivDesktop *
viv_action_log_get_desktop (VivActionLog *self)
{
  g_return_val_if_fail (VIV_IS_ACTION_LOG (self), NULL);

  return self->desktop;
}

void
viv_action_log_set_desktop (VivActionLog *self,
                           VivDesktop *desktop)
{
  g_return_if_fail (VIV_IS_ACTION_LOG (self));

  if (!g_set_object (&self->desktop, desktop))
    return;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DESKTOP]);
}
