/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "viv-processes-panel.h"

/* The sandbox's processes: listed and refreshed, a command to start with
 * its output, signals. */
struct _VivProcessesPanel
{
  GtkWidget parent_instance;

  VivSandbox *sandbox;
};

enum {
  PROP_0,
  PROP_SANDBOX,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (VivProcessesPanel, viv_processes_panel, GTK_TYPE_WIDGET)

static void
viv_processes_panel_dispose (GObject *object)
{
  VivProcessesPanel *self = VIV_PROCESSES_PANEL (object);
  GtkWidget *child;

  viv_processes_panel_set_sandbox (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), VIV_TYPE_PROCESSES_PANEL);
  /* The template's top box is not a bound child, so it is ours to drop. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (viv_processes_panel_parent_class)->dispose (object);
}

static void
viv_processes_panel_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  VivProcessesPanel *self = VIV_PROCESSES_PANEL (object);

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
viv_processes_panel_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  VivProcessesPanel *self = VIV_PROCESSES_PANEL (object);

  switch (prop_id)
    {
    case PROP_SANDBOX:
      viv_processes_panel_set_sandbox (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_processes_panel_class_init (VivProcessesPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = viv_processes_panel_dispose;
  object_class->get_property = viv_processes_panel_get_property;
  object_class->set_property = viv_processes_panel_set_property;

  properties[PROP_SANDBOX] =
    g_param_spec_object ("sandbox", NULL, NULL, VIV_TYPE_SANDBOX,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/vivarium/Vivarium/viv-processes-panel.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
viv_processes_panel_init (VivProcessesPanel *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

VivSandbox *
viv_processes_panel_get_sandbox (VivProcessesPanel *self)
{
  g_return_val_if_fail (VIV_IS_PROCESSES_PANEL (self), NULL);

  return self->sandbox;
}

void
viv_processes_panel_set_sandbox (VivProcessesPanel *self,
                                VivSandbox *sandbox)
{
  g_return_if_fail (VIV_IS_PROCESSES_PANEL (self));

  if (!g_set_object (&self->sandbox, sandbox))
    return;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SANDBOX]);
}
