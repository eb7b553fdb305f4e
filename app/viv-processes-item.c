/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "viv-processes-item.h"

/* One row of the processes panel: a process envd lists, found again by its
 * pid on every refresh so the row object (and with it selection and scroll
 * position) outlives the refresh. */
struct _VivProcessesItem
{
  GObject parent_instance;

  guint   pid;
  char   *command;
  char   *tag;
  char   *cwd;
};

enum {
  PROP_0,
  PROP_PID,
  PROP_COMMAND,
  PROP_TAG,
  PROP_CWD,
  PROP_HAS_TAG,
  PROP_HAS_CWD,
  PROP_DETAILS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (VivProcessesItem, viv_processes_item, G_TYPE_OBJECT)

static void
viv_processes_item_finalize (GObject *object)
{
  VivProcessesItem *self = VIV_PROCESSES_ITEM (object);

  g_clear_pointer (&self->command, g_free);
  g_clear_pointer (&self->tag, g_free);
  g_clear_pointer (&self->cwd, g_free);

  G_OBJECT_CLASS (viv_processes_item_parent_class)->finalize (object);
}

/* The row's tooltip: the whole command line (the row ellipsizes it) and
 * what the tag and working directory are. */
static char *
details (VivProcessesItem *self)
{
  GString *text = g_string_new (self->command);

  if (self->cwd != NULL)
    {
      g_string_append_c (text, '\n');
      g_string_append_printf (text, _("Working directory: %s"), self->cwd);
    }
  if (self->tag != NULL)
    {
      g_string_append_c (text, '\n');
      g_string_append_printf (text, _("Tag: %s"), self->tag);
    }
  return g_string_free (text, FALSE);
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
    case PROP_TAG:
      g_value_set_string (value, self->tag);
      break;
    case PROP_CWD:
      g_value_set_string (value, self->cwd);
      break;
    case PROP_HAS_TAG:
      g_value_set_boolean (value, self->tag != NULL);
      break;
    case PROP_HAS_CWD:
      g_value_set_boolean (value, self->cwd != NULL);
      break;
    case PROP_DETAILS:
      g_value_take_string (value, details (self));
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
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TAG] =
    g_param_spec_string ("tag", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CWD] =
    g_param_spec_string ("cwd", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* For the rows' visibility bindings, which cannot test a string. */
  properties[PROP_HAS_TAG] =
    g_param_spec_boolean ("has-tag", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HAS_CWD] =
    g_param_spec_boolean ("has-cwd", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DETAILS] =
    g_param_spec_string ("details", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
viv_processes_item_init (VivProcessesItem *self)
{
  self->command = g_strdup ("");
}

VivProcessesItem *
viv_processes_item_new (VivProcess *process)
{
  VivProcessesItem *self;

  g_return_val_if_fail (VIV_IS_PROCESS (process), NULL);

  self = g_object_new (VIV_TYPE_PROCESSES_ITEM, "pid", viv_process_get_pid (process), NULL);
  viv_processes_item_update (self, process);
  return self;
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

const char *
viv_processes_item_get_tag (VivProcessesItem *self)
{
  g_return_val_if_fail (VIV_IS_PROCESSES_ITEM (self), NULL);

  return self->tag;
}

const char *
viv_processes_item_get_cwd (VivProcessesItem *self)
{
  g_return_val_if_fail (VIV_IS_PROCESSES_ITEM (self), NULL);

  return self->cwd;
}

/* Replaces *field with value (NULL for ""), telling whether it changed. */
static gboolean
set_field (char       **field,
           const char  *value,
           gboolean     nullable)
{
  if (nullable && value != NULL && *value == '\0')
    value = NULL;
  if (!nullable && value == NULL)
    value = "";
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

/* Takes what a new listing says of the same pid. */
void
viv_processes_item_update (VivProcessesItem *self,
                           VivProcess       *process)
{
  gboolean had_tag, had_cwd;
  gboolean changed = FALSE;

  g_return_if_fail (VIV_IS_PROCESSES_ITEM (self));
  g_return_if_fail (VIV_IS_PROCESS (process));

  had_tag = self->tag != NULL;
  had_cwd = self->cwd != NULL;
  g_object_freeze_notify (G_OBJECT (self));
  if (set_field (&self->command, viv_process_get_command (process), FALSE))
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMMAND]);
      changed = TRUE;
    }
  if (set_field (&self->tag, viv_process_get_tag (process), TRUE))
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TAG]);
      changed = TRUE;
    }
  if (set_field (&self->cwd, viv_process_get_cwd (process), TRUE))
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CWD]);
      changed = TRUE;
    }
  if (had_tag != (self->tag != NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_TAG]);
  if (had_cwd != (self->cwd != NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_CWD]);
  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DETAILS]);
  g_object_thaw_notify (G_OBJECT (self));
}
