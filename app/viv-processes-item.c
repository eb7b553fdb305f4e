/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "viv-processes-item.h"

/* One row of the processes panel: a process envd lists, found again by its
 * pid on every refresh so the row object (and with it selection and scroll
 * position) outlives the refresh. */
struct _VivProcessesItem
{
  GObject parent_instance;

  guint   pid;
  char   *command;
};

enum {
  PROP_0,
  PROP_PID,
  PROP_COMMAND,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (VivProcessesItem, viv_processes_item, G_TYPE_OBJECT)

static void
viv_processes_item_finalize (GObject *object)
{
  VivProcessesItem *self = VIV_PROCESSES_ITEM (object);

  g_clear_pointer (&self->command, g_free);

  G_OBJECT_CLASS (viv_processes_item_parent_class)->finalize (object);
}

static void
viv_processes_item_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  VivProcessesItem *self = VIV_PROCESSES_ITEM (object);

  switch (prop_id)
    {
    case PROP_PID:
      g_value_set_uint (value, self->pid);
      break;
    case PROP_COMMAND:
      g_value_set_string (value, self->command);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_processes_item_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  VivProcessesItem *self = VIV_PROCESSES_ITEM (object);

  switch (prop_id)
    {
    case PROP_PID:
      self->pid = g_value_get_uint (value);
      break;
    case PROP_COMMAND:
      viv_processes_item_set_command (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_processes_item_class_init (VivProcessesItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = viv_processes_item_finalize;
  object_class->get_property = viv_processes_item_get_property;
  object_class->set_property = viv_processes_item_set_property;

  properties[PROP_PID] =
    g_param_spec_uint ("pid", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_COMMAND] =
    g_param_spec_string ("command", NULL, NULL, "",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
viv_processes_item_init (VivProcessesItem *self)
{
  self->command = g_strdup ("");
}

VivProcessesItem *
viv_processes_item_new (guint       pid,
                        const char *command)
{
  return g_object_new (VIV_TYPE_PROCESSES_ITEM, "pid", pid, "command", command, NULL);
}

guint
viv_processes_item_get_pid (VivProcessesItem *self)
{
  g_return_val_if_fail (VIV_IS_PROCESSES_ITEM (self), 0);

  return self->pid;
}

const char *
viv_processes_item_get_command (VivProcessesItem *self)
{
  g_return_val_if_fail (VIV_IS_PROCESSES_ITEM (self), NULL);

  return self->command;
}

void
viv_processes_item_set_command (VivProcessesItem *self,
                                const char       *command)
{
  g_return_if_fail (VIV_IS_PROCESSES_ITEM (self));

  if (command == NULL)
    command = "";
  if (g_strcmp0 (self->command, command) == 0)
    return;
  g_free (self->command);
  self->command = g_strdup (command);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMMAND]);
}
