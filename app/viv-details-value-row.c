/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "viv-details-value-row.h"
#include "viv-main-window.h"

/* A name and its value in the Details panel, with a copy button and, for
 * values that look secret, dots until the user asks to see them. */
struct _VivDetailsValueRow
{
  AdwActionRow parent_instance;

  char            *value;
  GtkToggleButton *reveal_button;
  GtkButton       *copy_button;
  guint            secret : 1;
  guint            copyable : 1;
};

enum {
  PROP_0,
  PROP_VALUE,
  PROP_SECRET,
  PROP_COPYABLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (VivDetailsValueRow, viv_details_value_row, ADW_TYPE_ACTION_ROW)

/* What a hidden value shows: always the same length, so it tells nothing. */
#define HIDDEN_VALUE "●●●●●●●●"

static void
update_subtitle (VivDetailsValueRow *self)
{
  gboolean hidden = self->secret && !gtk_toggle_button_get_active (self->reveal_button);
  const char *value = self->value ? self->value : "";

  if (hidden)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (self), HIDDEN_VALUE);
  else if (*value == '\0')
    /* Translators: shown for a variable or metadata value that is empty */
    adw_action_row_set_subtitle (ADW_ACTION_ROW (self), _("(empty)"));
  else
    adw_action_row_set_subtitle (ADW_ACTION_ROW (self), value);
}

static void
update_buttons (VivDetailsValueRow *self)
{
  const char *title = adw_preferences_row_get_title (ADW_PREFERENCES_ROW (self));
  gboolean revealed = gtk_toggle_button_get_active (self->reveal_button);
  g_autofree char *copy = NULL;
  g_autofree char *reveal = NULL;

  /* Translators: the accessible name of a copy button; %s is what it copies, e.g. "ID" */
  copy = g_strdup_printf (_("Copy %s"), title ? title : "");
  reveal = revealed
    /* Translators: the accessible name of a button that hides a secret value; %s is its name */
    ? g_strdup_printf (_("Hide %s"), title ? title : "")
    /* Translators: the accessible name of a button that shows a secret value; %s is its name */
    : g_strdup_printf (_("Show %s"), title ? title : "");

  gtk_accessible_update_property (GTK_ACCESSIBLE (self->copy_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, copy, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->reveal_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, reveal, -1);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->reveal_button),
                               revealed ? _("Hide Value") : _("Show Value"));
  gtk_button_set_icon_name (GTK_BUTTON (self->reveal_button),
                            revealed ? "view-conceal-symbolic" : "view-reveal-symbolic");
  gtk_widget_set_visible (GTK_WIDGET (self->reveal_button), self->secret);
  gtk_widget_set_visible (GTK_WIDGET (self->copy_button), self->copyable);
}

static void
reveal_toggled_cb (VivDetailsValueRow *self)
{
  g_assert (VIV_IS_DETAILS_VALUE_ROW (self));

  update_subtitle (self);
  update_buttons (self);
}

static void
title_changed_cb (VivDetailsValueRow *self,
                  GParamSpec         *pspec,
                  gpointer            user_data)
{
  update_buttons (self);
}

static void
copy_clicked_cb (VivDetailsValueRow *self)
{
  const char *title = adw_preferences_row_get_title (ADW_PREFERENCES_ROW (self));
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autofree char *message = NULL;

  g_assert (VIV_IS_DETAILS_VALUE_ROW (self));

  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)),
                          self->value ? self->value : "");
  if (VIV_IS_MAIN_WINDOW (root))
    {
      /* Translators: a toast after copying; %s is what was copied, e.g. "ID" */
      message = g_strdup_printf (_("%s copied"), title ? title : "");
      viv_main_window_add_toast (VIV_MAIN_WINDOW (root), message);
    }
}

static void
viv_details_value_row_constructed (GObject *object)
{
  G_OBJECT_CLASS (viv_details_value_row_parent_class)->constructed (object);

  /* Names and values are data, never markup: metadata may hold "<" or
   * "&". The property is a construct property, so init is too early. */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (object), FALSE);
}

static void
viv_details_value_row_finalize (GObject *object)
{
  VivDetailsValueRow *self = VIV_DETAILS_VALUE_ROW (object);

  g_free (self->value);

  G_OBJECT_CLASS (viv_details_value_row_parent_class)->finalize (object);
}

static void
viv_details_value_row_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  VivDetailsValueRow *self = VIV_DETAILS_VALUE_ROW (object);

  switch (prop_id)
    {
    case PROP_VALUE:
      g_value_set_string (value, self->value);
      break;
    case PROP_SECRET:
      g_value_set_boolean (value, self->secret);
      break;
    case PROP_COPYABLE:
      g_value_set_boolean (value, self->copyable);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_details_value_row_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  VivDetailsValueRow *self = VIV_DETAILS_VALUE_ROW (object);

  switch (prop_id)
    {
    case PROP_VALUE:
      viv_details_value_row_set_value (self, g_value_get_string (value));
      break;
    case PROP_SECRET:
      viv_details_value_row_set_secret (self, g_value_get_boolean (value));
      break;
    case PROP_COPYABLE:
      viv_details_value_row_set_copyable (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_details_value_row_class_init (VivDetailsValueRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = viv_details_value_row_constructed;
  object_class->finalize = viv_details_value_row_finalize;
  object_class->get_property = viv_details_value_row_get_property;
  object_class->set_property = viv_details_value_row_set_property;

  properties[PROP_VALUE] =
    g_param_spec_string ("value", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SECRET] =
    g_param_spec_boolean ("secret", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_COPYABLE] =
    g_param_spec_boolean ("copyable", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
viv_details_value_row_init (VivDetailsValueRow *self)
{
  self->copyable = TRUE;

  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (self), 3);
  gtk_widget_add_css_class (GTK_WIDGET (self), "property");

  self->reveal_button = GTK_TOGGLE_BUTTON (gtk_toggle_button_new ());
  gtk_widget_set_valign (GTK_WIDGET (self->reveal_button), GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (GTK_WIDGET (self->reveal_button), "flat");
  g_signal_connect_object (self->reveal_button, "toggled", G_CALLBACK (reveal_toggled_cb), self,
                           G_CONNECT_SWAPPED);
  adw_action_row_add_suffix (ADW_ACTION_ROW (self), GTK_WIDGET (self->reveal_button));

  self->copy_button = GTK_BUTTON (gtk_button_new_from_icon_name ("edit-copy-symbolic"));
  gtk_widget_set_valign (GTK_WIDGET (self->copy_button), GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->copy_button), _("Copy"));
  gtk_widget_add_css_class (GTK_WIDGET (self->copy_button), "flat");
  g_signal_connect_object (self->copy_button, "clicked", G_CALLBACK (copy_clicked_cb), self,
                           G_CONNECT_SWAPPED);
  adw_action_row_add_suffix (ADW_ACTION_ROW (self), GTK_WIDGET (self->copy_button));

  g_signal_connect (self, "notify::title", G_CALLBACK (title_changed_cb), NULL);
  update_subtitle (self);
  update_buttons (self);
}

GtkWidget *
viv_details_value_row_new (const char *title,
                           const char *value,
                           gboolean    secret)
{
  GtkWidget *row = g_object_new (VIV_TYPE_DETAILS_VALUE_ROW, "secret", secret, NULL);

  /* Not as construct-time properties: notifications are held back until
   * g_object_new() returns, so the labels would still take markup. */
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  viv_details_value_row_set_value (VIV_DETAILS_VALUE_ROW (row), value);
  return row;
}

const char *
viv_details_value_row_get_value (VivDetailsValueRow *self)
{
  g_return_val_if_fail (VIV_IS_DETAILS_VALUE_ROW (self), NULL);

  return self->value;
}

void
viv_details_value_row_set_value (VivDetailsValueRow *self,
                                 const char         *value)
{
  g_return_if_fail (VIV_IS_DETAILS_VALUE_ROW (self));

  if (g_strcmp0 (self->value, value) == 0)
    return;
  g_free (self->value);
  self->value = g_strdup (value);
  update_subtitle (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VALUE]);
}

gboolean
viv_details_value_row_get_secret (VivDetailsValueRow *self)
{
  g_return_val_if_fail (VIV_IS_DETAILS_VALUE_ROW (self), FALSE);

  return self->secret;
}

void
viv_details_value_row_set_secret (VivDetailsValueRow *self,
                                  gboolean            secret)
{
  g_return_if_fail (VIV_IS_DETAILS_VALUE_ROW (self));

  secret = !!secret;
  if (self->secret == secret)
    return;
  self->secret = secret;
  gtk_toggle_button_set_active (self->reveal_button, FALSE);
  update_subtitle (self);
  update_buttons (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SECRET]);
}

gboolean
viv_details_value_row_get_copyable (VivDetailsValueRow *self)
{
  g_return_val_if_fail (VIV_IS_DETAILS_VALUE_ROW (self), FALSE);

  return self->copyable;
}

void
viv_details_value_row_set_copyable (VivDetailsValueRow *self,
                                    gboolean            copyable)
{
  g_return_if_fail (VIV_IS_DETAILS_VALUE_ROW (self));

  copyable = !!copyable;
  if (self->copyable == copyable)
    return;
  self->copyable = copyable;
  update_buttons (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COPYABLE]);
}

static gboolean
part_looks_secret (const char *part)
{
  static const char * const markers[] = {
    "KEY", "TOKEN", "SECRET", "PASSWORD", "PASS", "CREDENTIAL", "AUTH", "PRIVATE",
  };

  for (guint i = 0; i < G_N_ELEMENTS (markers); i++)
    if (g_str_has_prefix (part, markers[i]) || g_str_has_suffix (part, markers[i]))
      return TRUE;
  return FALSE;
}

/**
 * viv_details_looks_secret:
 * @name: a variable's name
 *
 * Whether a word part of @name starts or ends with KEY, TOKEN, SECRET,
 * PASSWORD, PASS, CREDENTIAL, AUTH or PRIVATE, in any case. Parts are split
 * at anything but letters and digits and where a lower-case letter meets an
 * upper-case one, so `OPENAI_API_KEY`, `apiKey`, `DB_PASSWD` and
 * `GITHUB_TOKENS` look secret and `HOME` or `GREETING` do not. Hiding a
 * harmless value costs a click; showing a secret cannot be undone.
 *
 * Returns: whether to hide the value until asked
 */
gboolean
viv_details_looks_secret (const char *name)
{
  g_autoptr (GString) part = g_string_new (NULL);
  gboolean previous_lower = FALSE;

  g_return_val_if_fail (name != NULL, FALSE);

  for (const char *p = name; ; p++)
    {
      gboolean boundary = *p == '\0' || !g_ascii_isalnum (*p) ||
                          (previous_lower && g_ascii_isupper (*p));

      if (boundary && part->len > 0)
        {
          if (part_looks_secret (part->str))
            return TRUE;
          g_string_truncate (part, 0);
        }
      if (*p == '\0')
        break;
      if (g_ascii_isalnum (*p))
        g_string_append_c (part, g_ascii_toupper (*p));
      previous_lower = g_ascii_islower (*p);
    }

  return FALSE;
}
