/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "viv-action-log-entry.h"

/* One event of a guest's stream (GET /desktop/events, see guest/README.md),
 * as the action log shows it: its own JSON, kept as received for export, and
 * a one-line summary for people. The members each type carries are set in
 * guest/desktop/ (actions), guest/viv-guest-takeover.c, the desktop worker
 * (focus) and guest/display/ (display, session, viewer). */

/* Typed text is shown up to this many characters. */
#define TEXT_SHOWN_MAX 48

struct _VivActionLogEntry
{
  GObject     parent_instance;

  JsonObject *event;
  guint64     id;
  GDateTime  *time;
  char       *summary;
  char       *detail;
  const char *icon_name;
  gboolean    refused;
  gboolean    has_point;
  int         x;
  int         y;
};

G_DEFINE_FINAL_TYPE (VivActionLogEntry, viv_action_log_entry, G_TYPE_OBJECT)

static const char *
get_string (JsonObject *object,
            const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
get_int (JsonObject *object,
         const char *name,
         gint64     *value)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *value = json_node_get_int (node);
  return TRUE;
}

static gboolean
get_point (JsonObject *object,
           const char *x_name,
           const char *y_name,
           int        *x,
           int        *y)
{
  gint64 px, py;

  if (!get_int (object, x_name, &px) || !get_int (object, y_name, &py) ||
      px < G_MININT || px > G_MAXINT || py < G_MININT || py > G_MAXINT)
    return FALSE;
  *x = (int) px;
  *y = (int) py;
  return TRUE;
}

static const char *
button_name (JsonObject *event)
{
  const char *button = get_string (event, "button");

  if (button == NULL)
    return NULL;
  if (g_ascii_strcasecmp (button, "left") == 0)
    /* Translators: a mouse button, as in "Click at 10, 20 (left)" */
    return C_("button", "left");
  if (g_ascii_strcasecmp (button, "middle") == 0)
    return C_("button", "middle");
  if (g_ascii_strcasecmp (button, "right") == 0)
    return C_("button", "right");
  return button;
}

static const char *
direction_name (const char *direction)
{
  if (direction == NULL)
    return "";
  if (g_ascii_strcasecmp (direction, "up") == 0)
    /* Translators: a wheel direction, as in "Scroll up ×3" */
    return C_("scroll", "up");
  if (g_ascii_strcasecmp (direction, "down") == 0)
    return C_("scroll", "down");
  if (g_ascii_strcasecmp (direction, "left") == 0)
    return C_("scroll", "left");
  if (g_ascii_strcasecmp (direction, "right") == 0)
    return C_("scroll", "right");
  return direction;
}

/* One line, not too long: typed text can hold anything. */
static char *
shorten (const char *text)
{
  GString *shown = g_string_new (NULL);
  guint n = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char_validated (p, -1);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        break;
      if (n++ == TEXT_SHOWN_MAX)
        {
          g_string_append (shown, "…");
          break;
        }
      if (c == '\n' || c == '\r')
        g_string_append (shown, "⏎");
      else if (c == '\t')
        g_string_append_c (shown, ' ');
      else if (g_unichar_iscntrl (c))
        g_string_append (shown, "�");
      else
        g_string_append_unichar (shown, c);
    }

  return g_string_free (shown, FALSE);
}

/* "ctrl", "l" -> "Ctrl+L", as people write key combinations. */
static char *
format_keys (JsonObject *event)
{
  JsonNode *node = json_object_get_member (event, "keys");
  g_autoptr (GString) keys = g_string_new (NULL);
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;

  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      const char *key;
      g_autofree char *shown = NULL;

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
        continue;
      key = json_node_get_string (element);
      if (*key == '\0')
        continue;

      if (g_ascii_strcasecmp (key, "ctrl") == 0 || g_ascii_strcasecmp (key, "control") == 0)
        shown = g_strdup ("Ctrl");
      else if (g_utf8_strlen (key, -1) == 1)
        shown = g_utf8_strup (key, -1);
      else
        {
          g_autofree char *first = g_utf8_strup (key, g_utf8_next_char (key) - key);

          shown = g_strconcat (first, g_utf8_next_char (key), NULL);
        }

      if (keys->len > 0)
        g_string_append_c (keys, '+');
      g_string_append (keys, shown);
    }

  return keys->len > 0 ? g_strdup (keys->str) : NULL;
}

static char *
format_window (JsonObject *event)
{
  gint64 window;

  if (!get_int (event, "window", &window))
    return NULL;
  return g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", window);
}

static char *
summarize_pointer (VivActionLogEntry *self,
                   const char        *action)
{
  JsonObject *event = self->event;
  const char *button = button_name (event);
  gint64 count = 1;

  if (g_str_equal (action, "move"))
    {
      if (self->has_point)
        return g_strdup_printf (_("Move to %d, %d"), self->x, self->y);
      return g_strdup (_("Move"));
    }

  if (g_str_equal (action, "click"))
    {
      g_autofree char *what = NULL;

      get_int (event, "count", &count);
      if (count == 2)
        what = g_strdup (_("Double-click"));
      else if (count > 2)
        /* Translators: several clicks at once, as in "3 clicks at 10, 20 (left)" */
        what = g_strdup_printf (_("%d clicks"), (int) MIN (count, G_MAXINT));
      else
        what = g_strdup (_("Click"));

      if (self->has_point && button != NULL)
        /* Translators: "Click at 512, 300 (left)"; the last %s is a button */
        return g_strdup_printf (_("%s at %d, %d (%s)"), what, self->x, self->y, button);
      if (self->has_point)
        return g_strdup_printf (_("%s at %d, %d"), what, self->x, self->y);
      if (button != NULL)
        return g_strdup_printf ("%s (%s)", what, button);
      return g_steal_pointer (&what);
    }

  if (g_str_equal (action, "mouse_down"))
    return button != NULL ? g_strdup_printf (_("Press the %s button"), button)
                          : g_strdup (_("Press a button"));

  if (g_str_equal (action, "mouse_up"))
    return button != NULL ? g_strdup_printf (_("Release the %s button"), button)
                          : g_strdup (_("Release a button"));

  if (g_str_equal (action, "drag"))
    {
      int to_x, to_y;

      if (self->has_point && get_point (event, "to_x", "to_y", &to_x, &to_y))
        return g_strdup_printf (_("Drag from %d, %d to %d, %d"), self->x, self->y, to_x, to_y);
      return g_strdup (_("Drag"));
    }

  /* scroll */
  {
    const char *direction = get_string (event, "direction");

    get_int (event, "amount", &count);
    if (direction == NULL)
      return g_strdup (_("Scroll"));
    if (self->has_point)
      /* Translators: "Scroll down ×3 at 100, 200" */
      return g_strdup_printf (_("Scroll %s ×%d at %d, %d"), direction_name (direction),
                              (int) MIN (count, G_MAXINT), self->x, self->y);
    return g_strdup_printf (_("Scroll %s ×%d"), direction_name (direction),
                            (int) MIN (count, G_MAXINT));
  }
}

static void
summarize_action (VivActionLogEntry *self)
{
  JsonObject *event = self->event;
  const char *action = get_string (event, "action");
  const char *error = get_string (event, "error");

  if (action == NULL)
    action = "";

  self->refused = g_strcmp0 (get_string (event, "outcome"), "error") == 0;
  if (self->refused)
    /* Translators: why an action was not done, e.g. "Refused: The desktop is taken over by Ada" */
    self->detail = g_strdup_printf (_("Refused: %s"), error ? error : _("no reason given"));

  if (g_str_equal (action, "move") || g_str_equal (action, "click") ||
      g_str_equal (action, "mouse_down") || g_str_equal (action, "mouse_up") ||
      g_str_equal (action, "drag") || g_str_equal (action, "scroll"))
    {
      self->has_point = get_point (event, "x", "y", &self->x, &self->y);
      self->summary = summarize_pointer (self, action);
      self->icon_name = "input-mouse-symbolic";
    }
  else if (g_str_equal (action, "type"))
    {
      const char *text = get_string (event, "text");
      g_autofree char *shown = text ? shorten (text) : NULL;

      /* Translators: text an agent typed, in quotes */
      self->summary = shown ? g_strdup_printf (_("Typed “%s”"), shown) : g_strdup (_("Typed text"));
      self->icon_name = "input-keyboard-symbolic";
    }
  else if (g_str_equal (action, "keys"))
    {
      g_autofree char *keys = format_keys (event);

      /* Translators: a key combination an agent pressed, e.g. "Keys Ctrl+L" */
      self->summary = keys ? g_strdup_printf (_("Keys %s"), keys) : g_strdup (_("Keys"));
      self->icon_name = "input-keyboard-symbolic";
    }
  else if (g_str_equal (action, "set_clipboard"))
    {
      self->summary = g_strdup (_("Set the clipboard"));
      self->icon_name = "edit-paste-symbolic";
    }
  else if (g_str_equal (action, "launch"))
    {
      const char *app = get_string (event, "app");

      self->summary = app ? g_strdup_printf (_("Launched %s"), app) : g_strdup (_("Launched an app"));
      self->icon_name = "system-run-symbolic";
    }
  else if (g_str_equal (action, "open"))
    {
      const char *target = get_string (event, "target");
      g_autofree char *shown = target ? shorten (target) : NULL;

      self->summary = shown ? g_strdup_printf (_("Opened %s"), shown) : g_strdup (_("Opened a file"));
      self->icon_name = "document-open-symbolic";
    }
  else if (g_str_equal (action, "focus_window") || g_str_equal (action, "close_window"))
    {
      g_autofree char *window = format_window (event);
      gboolean focus = g_str_equal (action, "focus_window");

      if (window != NULL)
        self->summary = g_strdup_printf (focus ? _("Focused window %s") : _("Closed window %s"), window);
      else
        self->summary = g_strdup (focus ? _("Focused a window") : _("Closed a window"));
      self->icon_name = focus ? "focus-windows-symbolic" : "window-close-symbolic";
    }
  else
    {
      /* Translators: an action this version does not know by name */
      self->summary = g_strdup_printf (_("Action “%s”"), action);
      self->icon_name = "dialog-information-symbolic";
    }

  if (self->refused)
    self->icon_name = "action-unavailable-symbolic";
}

static void
summarize (VivActionLogEntry *self,
           const char        *type)
{
  JsonObject *event = self->event;

  if (g_str_equal (type, "action"))
    summarize_action (self);
  else if (g_str_equal (type, "takeover"))
    {
      const char *holder = get_string (event, "holder");
      JsonNode *held = json_object_get_member (event, "held");

      if (held != NULL && JSON_NODE_HOLDS_VALUE (held) && json_node_get_boolean (held))
        self->summary = g_strdup_printf (_("Taken over by %s"), holder ? holder : _("someone"));
      else
        self->summary = g_strdup (_("Handed back"));
      self->icon_name = "avatar-default-symbolic";
    }
  else if (g_str_equal (type, "focus"))
    {
      const char *title = get_string (event, "title");
      g_autofree char *window = format_window (event);

      if (title != NULL && *title != '\0')
        /* Translators: the window that got the keyboard focus */
        self->summary = g_strdup_printf (_("Focus: %s"), title);
      else if (window != NULL)
        self->summary = g_strdup_printf (_("Focus: window %s"), window);
      else
        self->summary = g_strdup (_("Focus: no window"));
      self->icon_name = "focus-windows-symbolic";
    }
  else if (g_str_equal (type, "display") || g_str_equal (type, "session"))
    {
      const char *state = get_string (event, "state");
      const char *reason = get_string (event, "reason");

      if (g_str_equal (type, "display"))
        /* Translators: the sandbox's X display and its state, e.g. "Display: ready" */
        self->summary = g_strdup_printf (_("Display: %s"), state ? state : "?");
      else
        /* Translators: the desktop session (window manager) and its state */
        self->summary = g_strdup_printf (_("Session: %s"), state ? state : "?");
      self->detail = g_strdup (reason);
      self->icon_name = "video-display-symbolic";
    }
  else if (g_str_equal (type, "viewer"))
    {
      const char *state = get_string (event, "state");
      gint64 viewers = 0;

      if (g_strcmp0 (state, "connected") == 0)
        self->summary = g_strdup (_("A viewer connected"));
      else if (g_strcmp0 (state, "disconnected") == 0)
        self->summary = g_strdup (_("A viewer left"));
      else
        self->summary = g_strdup_printf (_("Viewer: %s"), state ? state : "?");
      if (get_int (event, "viewers", &viewers))
        self->detail = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d viewer now", "%d viewers now",
                                                     (gulong) MAX (viewers, 0)),
                                        (int) MIN (viewers, G_MAXINT));
      self->icon_name = "view-reveal-symbolic";
    }
  else
    {
      /* Translators: an event type this version does not know */
      self->summary = g_strdup_printf (_("Event “%s”"), type);
      self->icon_name = "dialog-information-symbolic";
    }
}

static void
viv_action_log_entry_finalize (GObject *object)
{
  VivActionLogEntry *self = VIV_ACTION_LOG_ENTRY (object);

  g_clear_pointer (&self->event, json_object_unref);
  g_clear_pointer (&self->time, g_date_time_unref);
  g_free (self->summary);
  g_free (self->detail);

  G_OBJECT_CLASS (viv_action_log_entry_parent_class)->finalize (object);
}

static void
viv_action_log_entry_class_init (VivActionLogEntryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = viv_action_log_entry_finalize;
}

static void
viv_action_log_entry_init (VivActionLogEntry *self)
{
}

/**
 * viv_action_log_entry_new:
 * @event: one event of the guest's stream (`id`, `type`, `time`, ...)
 *
 * Returns: (transfer full) (nullable): the entry, or %NULL when @event has
 *   no usable id or type
 */
VivActionLogEntry *
viv_action_log_entry_new (JsonObject *event)
{
  g_autoptr (VivActionLogEntry) self = NULL;
  g_autoptr (GDateTime) utc = NULL;
  const char *type, *time;
  gint64 id;

  g_return_val_if_fail (event != NULL, NULL);

  type = get_string (event, "type");
  if (type == NULL || !get_int (event, "id", &id) || id <= 0)
    return NULL;

  self = g_object_new (VIV_TYPE_ACTION_LOG_ENTRY, NULL);
  self->event = json_object_ref (event);
  self->id = (guint64) id;

  time = get_string (event, "time");
  if (time != NULL && (utc = g_date_time_new_from_iso8601 (time, NULL)) != NULL)
    self->time = g_date_time_to_local (utc);
  else
    self->time = g_date_time_new_now_local ();

  summarize (self, type);
  return g_steal_pointer (&self);
}

guint64
viv_action_log_entry_get_id (VivActionLogEntry *self)
{
  g_return_val_if_fail (VIV_IS_ACTION_LOG_ENTRY (self), 0);
  return self->id;
}

const char *
viv_action_log_entry_get_event_type (VivActionLogEntry *self)
{
  g_return_val_if_fail (VIV_IS_ACTION_LOG_ENTRY (self), NULL);
  return get_string (self->event, "type");
}

/* The event as the guest sent it. */
JsonObject *
viv_action_log_entry_get_event (VivActionLogEntry *self)
{
  g_return_val_if_fail (VIV_IS_ACTION_LOG_ENTRY (self), NULL);
  return self->event;
}

/* In the local time zone. */
GDateTime *
viv_action_log_entry_get_time (VivActionLogEntry *self)
{
  g_return_val_if_fail (VIV_IS_ACTION_LOG_ENTRY (self), NULL);
  return self->time;
}

const char *
viv_action_log_entry_get_summary (VivActionLogEntry *self)
{
  g_return_val_if_fail (VIV_IS_ACTION_LOG_ENTRY (self), NULL);
  return self->summary;
}

/* A second line (why an action was refused, a display's reason), or NULL. */
const char *
viv_action_log_entry_get_detail (VivActionLogEntry *self)
{
  g_return_val_if_fail (VIV_IS_ACTION_LOG_ENTRY (self), NULL);
  return self->detail;
}

const char *
viv_action_log_entry_get_icon_name (VivActionLogEntry *self)
{
  g_return_val_if_fail (VIV_IS_ACTION_LOG_ENTRY (self), NULL);
  return self->icon_name;
}

gboolean
viv_action_log_entry_get_refused (VivActionLogEntry *self)
{
  g_return_val_if_fail (VIV_IS_ACTION_LOG_ENTRY (self), FALSE);
  return self->refused;
}

/* Where on the desktop the action happened, if it has a point. */
gboolean
viv_action_log_entry_get_point (VivActionLogEntry *self,
                                int               *x,
                                int               *y)
{
  g_return_val_if_fail (VIV_IS_ACTION_LOG_ENTRY (self), FALSE);

  if (!self->has_point)
    return FALSE;
  if (x != NULL)
    *x = self->x;
  if (y != NULL)
    *y = self->y;
  return TRUE;
}
