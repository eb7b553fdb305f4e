/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "viv-display-view-private.h"

/* Keyboard and pointer for VivDisplayView: keysyms (no scancodes: sandbox
 * servers map keysyms, gtk4-vnc-notes.md 1.5), absolute pointer, wheel, and
 * the keyboard grab used while a person takes over. */

#define HINT_TIMEOUT_S      4
/* Pixels of smooth (touchpad) scrolling that make one wheel step. */
#define SCROLL_PIXELS_STEP  20.0

static VncConnection *
input_connection (VivDisplayView *self)
{
  if (!self->input_enabled)
    return NULL;
  return viv_vnc_session_get_connection (self->session);
}

static gboolean
key_is_down (VivDisplayView *self,
             guint           keysym)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->pressed_keys);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (GPOINTER_TO_UINT (value) == keysym)
      return TRUE;
  return FALSE;
}

gboolean
_viv_display_view_key_event (VivDisplayView *self,
                             gboolean        down,
                             guint           keyval,
                             guint           keycode)
{
  VncConnection *connection = input_connection (self);
  gpointer previous;

  if (connection == NULL)
    return FALSE;

  if (down)
    {
      /* A keycode GDK could not map (keyval 0) has no keysym to send. */
      if (keyval == 0 || keyval == GDK_KEY_VoidSymbol)
        return FALSE;
    }

  if (down)
    {
      /* Shift+Tab arrives as ISO_Left_Tab, which X servers do not map. */
      guint keysym = keyval == GDK_KEY_ISO_Left_Tab ? GDK_KEY_Tab : keyval;

      /* Auto-repeat: release first, so the server sees each repeat as a
       * press (gtk-vnc's VncDisplay does the same). */
      if (g_hash_table_lookup_extended (self->pressed_keys, GUINT_TO_POINTER (keycode), NULL, &previous))
        vnc_connection_key_event (connection, FALSE, GPOINTER_TO_UINT (previous), 0);

      g_hash_table_insert (self->pressed_keys, GUINT_TO_POINTER (keycode), GUINT_TO_POINTER (keysym));
      vnc_connection_key_event (connection, TRUE, keysym, 0);

      /* The release combination is Ctrl+Alt alone; any other key pressed
       * meanwhile (Ctrl+Alt+T) goes to the remote without releasing. */
      self->release_combo_armed = self->grabbed &&
        (key_is_down (self, GDK_KEY_Control_L) || key_is_down (self, GDK_KEY_Control_R)) &&
        (key_is_down (self, GDK_KEY_Alt_L) || key_is_down (self, GDK_KEY_Alt_R)) &&
        g_hash_table_size (self->pressed_keys) == 2;
      return TRUE;
    }

  /* Release with the keysym sent at press: the keyval may differ now that
   * modifiers changed (press a, press Shift, release A). */
  if (!g_hash_table_lookup_extended (self->pressed_keys, GUINT_TO_POINTER (keycode), NULL, &previous))
    return FALSE;
  g_hash_table_remove (self->pressed_keys, GUINT_TO_POINTER (keycode));
  vnc_connection_key_event (connection, FALSE, GPOINTER_TO_UINT (previous), 0);

  if (self->release_combo_armed)
    {
      self->release_combo_armed = FALSE;
      viv_display_view_ungrab_keyboard (self);
    }
  return TRUE;
}

void
_viv_display_view_release_all (VivDisplayView *self)
{
  VncConnection *connection = viv_vnc_session_get_connection (self->session);
  GHashTableIter iter;
  gpointer value;

  /* Nothing may stay stuck on the remote side: a held Ctrl there would turn
   * the agent's next typing into shortcuts. */
  if (connection != NULL)
    {
      g_hash_table_iter_init (&iter, self->pressed_keys);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        vnc_connection_key_event (connection, FALSE, GPOINTER_TO_UINT (value), 0);
      if (self->button_mask != 0)
        vnc_connection_pointer_event (connection, 0, self->last_x, self->last_y);
    }

  g_hash_table_remove_all (self->pressed_keys);
  self->button_mask = 0;
  self->scroll_dx = self->scroll_dy = 0;
  self->release_combo_armed = FALSE;
}

gboolean
_viv_display_view_pointer_event (VivDisplayView *self,
                                 double          x,
                                 double          y,
                                 guint8          button_mask)
{
  VncConnection *connection = input_connection (self);
  int remote_width, remote_height;
  double rx, ry;

  if (connection == NULL || self->placement.size.width <= 0 || self->placement.size.height <= 0)
    return FALSE;

  viv_vnc_session_get_pixels (self->session, &remote_width, &remote_height, NULL);
  if (remote_width <= 0 || remote_height <= 0)
    return FALSE;

  /* Invert the placement of the last snapshot. */
  rx = (x - self->placement.origin.x) * remote_width / self->placement.size.width;
  ry = (y - self->placement.origin.y) * remote_height / self->placement.size.height;
  self->last_x = CLAMP ((int) rx, 0, remote_width - 1);
  self->last_y = CLAMP ((int) ry, 0, remote_height - 1);
  self->button_mask = button_mask;

  return vnc_connection_pointer_event (connection, button_mask, self->last_x, self->last_y);
}

static void
send_wheel_steps (VivDisplayView *self,
                  double         *accumulated,
                  guint8          negative_button,
                  guint8          positive_button)
{
  VncConnection *connection = input_connection (self);

  while (connection != NULL && (*accumulated >= 1 || *accumulated <= -1))
    {
      guint8 button = *accumulated > 0 ? positive_button : negative_button;

      /* A wheel step is a press and a release of buttons 4 to 7. */
      vnc_connection_pointer_event (connection, self->button_mask | button, self->last_x, self->last_y);
      vnc_connection_pointer_event (connection, self->button_mask, self->last_x, self->last_y);
      *accumulated += *accumulated > 0 ? -1 : 1;
    }
}

static gboolean
scroll_cb (GtkEventControllerScroll *controller,
           double                    dx,
           double                    dy,
           VivDisplayView           *self)
{
  if (input_connection (self) == NULL)
    return FALSE;

  if (gtk_event_controller_scroll_get_unit (controller) == GDK_SCROLL_UNIT_SURFACE)
    {
      dx /= SCROLL_PIXELS_STEP;
      dy /= SCROLL_PIXELS_STEP;
    }

  /* Smooth deltas accumulate until they make a whole step. */
  self->scroll_dx += dx;
  self->scroll_dy += dy;
  send_wheel_steps (self, &self->scroll_dy, 1 << 3, 1 << 4);
  send_wheel_steps (self, &self->scroll_dx, 1 << 5, 1 << 6);
  return TRUE;
}

static gboolean
legacy_event_cb (GtkEventControllerLegacy *controller,
                 GdkEvent                 *event,
                 VivDisplayView           *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  GdkEventType type = gdk_event_get_event_type (event);
  GtkNative *native;
  double x, y, native_x, native_y, widget_x, widget_y;
  guint8 mask = self->button_mask;

  if (type != GDK_BUTTON_PRESS && type != GDK_BUTTON_RELEASE && type != GDK_MOTION_NOTIFY)
    return FALSE;
  if (input_connection (self) == NULL)
    return FALSE;

  native = gtk_widget_get_native (widget);
  if (native == NULL || !gdk_event_get_position (event, &x, &y))
    return FALSE;
  gtk_native_get_surface_transform (native, &native_x, &native_y);
  if (!gtk_widget_translate_coordinates (GTK_WIDGET (native), widget,
                                         x - native_x, y - native_y, &widget_x, &widget_y))
    return FALSE;

  if (type != GDK_MOTION_NOTIFY)
    {
      guint button = gdk_button_event_get_button (event);
      /* GDK: 1 left, 2 middle, 3 right; RFB: bits 0, 1, 2. */
      guint8 bit = button >= 1 && button <= 3 ? 1 << (button - 1) : 0;

      if (bit == 0)
        return FALSE;
      if (type == GDK_BUTTON_PRESS)
        {
          mask |= bit;
          gtk_widget_grab_focus (widget);
        }
      else
        mask &= ~bit;
    }

  _viv_display_view_pointer_event (self, widget_x, widget_y, mask);
  return TRUE;
}

static gboolean
key_pressed_cb (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                VivDisplayView        *self)
{
  return _viv_display_view_key_event (self, TRUE, keyval, keycode);
}

static void
key_released_cb (GtkEventControllerKey *controller,
                 guint                  keyval,
                 guint                  keycode,
                 GdkModifierType        state,
                 VivDisplayView        *self)
{
  _viv_display_view_key_event (self, FALSE, keyval, keycode);
}

static void
focus_leave_cb (GtkEventControllerFocus *controller,
                VivDisplayView          *self)
{
  _viv_display_view_release_all (self);
}

static void
focus_enter_cb (GtkEventControllerFocus *controller,
                VivDisplayView          *self)
{
  /* The local clipboard may have changed while we were away. */
  if (self->input_enabled)
    _viv_display_view_push_clipboard (self);
}

void
_viv_display_view_init_input (VivDisplayView *self)
{
  GtkEventController *controller;

  self->pressed_keys = g_hash_table_new (NULL, NULL);

  controller = gtk_event_controller_key_new ();
  g_signal_connect (controller, "key-pressed", G_CALLBACK (key_pressed_cb), self);
  g_signal_connect (controller, "key-released", G_CALLBACK (key_released_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  controller = gtk_event_controller_focus_new ();
  g_signal_connect (controller, "leave", G_CALLBACK (focus_leave_cb), self);
  g_signal_connect (controller, "enter", G_CALLBACK (focus_enter_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  controller = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_BOTH_AXES);
  g_signal_connect (controller, "scroll", G_CALLBACK (scroll_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  controller = gtk_event_controller_legacy_new ();
  g_signal_connect (controller, "event", G_CALLBACK (legacy_event_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);
}

void
_viv_display_view_dispose_input (VivDisplayView *self)
{
  if (self->grabbed)
    viv_display_view_ungrab_keyboard (self);
  g_clear_handle_id (&self->hint_source, g_source_remove);
  g_clear_object (&self->remote_cursor);
  g_clear_pointer (&self->pressed_keys, g_hash_table_unref);
}

void
_viv_display_view_set_remote_cursor (VivDisplayView *self,
                                     GdkCursor      *cursor)
{
  g_set_object (&self->remote_cursor, cursor);
  /* In view-only mode the server draws its cursor into the pixels. */
  gtk_widget_set_cursor (GTK_WIDGET (self), self->input_enabled ? self->remote_cursor : NULL);
}

static gboolean
hide_hint_cb (gpointer user_data)
{
  VivDisplayView *self = user_data;

  self->hint_source = 0;
  gtk_widget_set_visible (self->hint, FALSE);
  return G_SOURCE_REMOVE;
}

static gboolean
captured_key_pressed_cb (GtkEventControllerKey *controller,
                         guint                  keyval,
                         guint                  keycode,
                         GdkModifierType        state,
                         VivDisplayView        *self)
{
  /* While grabbed, Tab, F10 and the app's accelerators belong to the remote. */
  return _viv_display_view_key_event (self, TRUE, keyval, keycode);
}

static void
captured_key_released_cb (GtkEventControllerKey *controller,
                          guint                  keyval,
                          guint                  keycode,
                          GdkModifierType        state,
                          VivDisplayView        *self)
{
  _viv_display_view_key_event (self, FALSE, keyval, keycode);
}

static GdkToplevel *
get_toplevel (VivDisplayView *self)
{
  GtkNative *native = gtk_widget_get_native (GTK_WIDGET (self));
  GdkSurface *surface = native != NULL ? gtk_native_get_surface (native) : NULL;

  return GDK_IS_TOPLEVEL (surface) ? GDK_TOPLEVEL (surface) : NULL;
}

/**
 * viv_display_view_grab_keyboard:
 *
 * Sends every key to the remote desktop, including the app's accelerators,
 * and asks the compositor to inhibit its system shortcuts. A hint shows the
 * release combination, Ctrl+Alt (pressed together alone, then released).
 * Needs #VivDisplayView:input-enabled.
 */
void
viv_display_view_grab_keyboard (VivDisplayView *self)
{
  GtkRoot *root;
  GdkToplevel *toplevel;

  g_return_if_fail (VIV_IS_DISPLAY_VIEW (self));

  root = gtk_widget_get_root (GTK_WIDGET (self));
  if (self->grabbed || !self->input_enabled || root == NULL)
    return;

  toplevel = get_toplevel (self);
  /* The compositor may ask the user or refuse; keys still reach the view. */
  if (toplevel != NULL)
    gdk_toplevel_inhibit_system_shortcuts (toplevel, NULL);

  self->capture_controller = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (self->capture_controller, GTK_PHASE_CAPTURE);
  g_signal_connect (self->capture_controller, "key-pressed", G_CALLBACK (captured_key_pressed_cb), self);
  g_signal_connect (self->capture_controller, "key-released", G_CALLBACK (captured_key_released_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (root), self->capture_controller);

  gtk_widget_grab_focus (GTK_WIDGET (self));

  /* Translators: shown over the remote desktop while it has the keyboard */
  gtk_label_set_label (GTK_LABEL (self->hint), _("Press Ctrl+Alt to release the keyboard"));
  gtk_widget_set_visible (self->hint, TRUE);
  g_clear_handle_id (&self->hint_source, g_source_remove);
  self->hint_source = g_timeout_add_seconds (HINT_TIMEOUT_S, hide_hint_cb, self);

  self->grabbed = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), _viv_display_view_properties[VIV_DISPLAY_VIEW_PROP_GRABBED]);
}

void
viv_display_view_ungrab_keyboard (VivDisplayView *self)
{
  GdkToplevel *toplevel;

  g_return_if_fail (VIV_IS_DISPLAY_VIEW (self));

  if (!self->grabbed)
    return;

  toplevel = get_toplevel (self);
  if (toplevel != NULL)
    gdk_toplevel_restore_system_shortcuts (toplevel);

  if (self->capture_controller != NULL)
    {
      GtkWidget *root = gtk_event_controller_get_widget (self->capture_controller);

      if (root != NULL)
        gtk_widget_remove_controller (root, self->capture_controller);
      self->capture_controller = NULL;
    }

  g_clear_handle_id (&self->hint_source, g_source_remove);
  gtk_widget_set_visible (self->hint, FALSE);
  self->release_combo_armed = FALSE;
  self->grabbed = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), _viv_display_view_properties[VIV_DISPLAY_VIEW_PROP_GRABBED]);
}

/**
 * viv_display_view_send_keys:
 * @keyvals: (array length=n_keyvals): GDK keyvals, e.g. Control_L, Alt_L, Delete
 *
 * Presses the keys in order and releases them in reverse order, for
 * combinations the local desktop would catch (Ctrl+Alt+Del,
 * Ctrl+Alt+BackSpace, Ctrl+Alt+F1..F12, Print).
 *
 * Returns: whether they were sent (input must be enabled and connected)
 */
gboolean
viv_display_view_send_keys (VivDisplayView *self,
                            const guint    *keyvals,
                            gsize           n_keyvals)
{
  VncConnection *connection;

  g_return_val_if_fail (VIV_IS_DISPLAY_VIEW (self), FALSE);
  g_return_val_if_fail (keyvals != NULL || n_keyvals == 0, FALSE);

  connection = input_connection (self);
  if (connection == NULL)
    return FALSE;

  for (gsize i = 0; i < n_keyvals; i++)
    vnc_connection_key_event (connection, TRUE, keyvals[i], 0);
  for (gsize i = n_keyvals; i > 0; i--)
    vnc_connection_key_event (connection, FALSE, keyvals[i - 1], 0);
  return TRUE;
}
