/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "vivarium.h"
#include "viv-desktop-private.h"
#include "viv-json-private.h"

struct _VivDesktopWindow
{
  grefcount  ref_count;
  guint64    id;
  char      *title;
  char      *class_name;
  char      *instance;
  gint64     pid;
  int        x;
  int        y;
  int        width;
  int        height;
  gboolean   focused;
};

G_DEFINE_BOXED_TYPE (VivDesktopWindow, viv_desktop_window, viv_desktop_window_ref, viv_desktop_window_unref)

VivDesktopWindow *
_viv_desktop_window_new_from_json (JsonObject  *object,
                           GError     **error)
{
  g_autoptr (VivDesktopWindow) self = g_new0 (VivDesktopWindow, 1);
  const char *title = NULL;
  const char *class_name = NULL;
  const char *instance = NULL;
  gint64 id = 0, pid = 0, x = 0, y = 0, width = 0, height = 0;

  g_ref_count_init (&self->ref_count);

  if (!_viv_json_get_int (object, "id", TRUE, &id, error) ||
      !_viv_json_get_string (object, "title", FALSE, &title, error) ||
      !_viv_json_get_string (object, "class", FALSE, &class_name, error) ||
      !_viv_json_get_string (object, "instance", FALSE, &instance, error) ||
      !_viv_json_get_int (object, "pid", FALSE, &pid, error) ||
      !_viv_json_get_int (object, "x", FALSE, &x, error) ||
      !_viv_json_get_int (object, "y", FALSE, &y, error) ||
      !_viv_json_get_int (object, "width", FALSE, &width, error) ||
      !_viv_json_get_int (object, "height", FALSE, &height, error) ||
      !_viv_json_get_bool (object, "focused", FALSE, &self->focused, error))
    return NULL;

  if (id <= 0 || width < 0 || height < 0)
    {
      g_set_error_literal (error, VIV_ERROR, VIV_ERROR_PROTOCOL,
                           "The guest listed a window with an impossible id or size");
      return NULL;
    }

  self->id = (guint64) id;
  self->title = g_strdup (title);
  self->class_name = g_strdup (class_name);
  self->instance = g_strdup (instance);
  self->pid = pid;
  self->x = CLAMP (x, G_MININT, G_MAXINT);
  self->y = CLAMP (y, G_MININT, G_MAXINT);
  self->width = MIN (width, G_MAXINT);
  self->height = MIN (height, G_MAXINT);
  return g_steal_pointer (&self);
}

/**
 * viv_desktop_window_ref:
 *
 * Returns: (transfer full): @self
 */
VivDesktopWindow *
viv_desktop_window_ref (VivDesktopWindow *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * viv_desktop_window_unref:
 *
 * Drops a reference.
 */
void
viv_desktop_window_unref (VivDesktopWindow *self)
{
  g_return_if_fail (self != NULL);

  if (!g_ref_count_dec (&self->ref_count))
    return;

  g_free (self->title);
  g_free (self->class_name);
  g_free (self->instance);
  g_free (self);
}

/**
 * viv_desktop_window_get_id:
 *
 * Returns: the X window id, for [method@Viv.Desktop.focus_window_async] and
 *   [method@Viv.Desktop.close_window_async]
 */
guint64
viv_desktop_window_get_id (VivDesktopWindow *self)
{
  return self->id;
}

/**
 * viv_desktop_window_get_title:
 *
 * Returns: (nullable): the window's title
 */
const char *
viv_desktop_window_get_title (VivDesktopWindow *self)
{
  return self->title;
}

/**
 * viv_desktop_window_get_class:
 *
 * Returns: (nullable): the class of `WM_CLASS` (`XTerm`)
 */
const char *
viv_desktop_window_get_class (VivDesktopWindow *self)
{
  return self->class_name;
}

/**
 * viv_desktop_window_get_instance:
 *
 * Returns: (nullable): the instance of `WM_CLASS` (`xterm`)
 */
const char *
viv_desktop_window_get_instance (VivDesktopWindow *self)
{
  return self->instance;
}

/**
 * viv_desktop_window_get_pid:
 *
 * Returns: the owning process in the sandbox (`_NET_WM_PID`), or 0 when not known
 */
gint64
viv_desktop_window_get_pid (VivDesktopWindow *self)
{
  return self->pid;
}

/**
 * viv_desktop_window_get_geometry:
 * @x: (out) (optional): where the left edge is
 * @y: (out) (optional): where the top edge is
 * @width: (out) (optional): the width
 * @height: (out) (optional): the height
 *
 * The window's rectangle on the screen, in pixels.
 */
void
viv_desktop_window_get_geometry (VivDesktopWindow *self,
                         int       *x,
                         int       *y,
                         int       *width,
                         int       *height)
{
  g_return_if_fail (self != NULL);

  if (x != NULL)
    *x = self->x;
  if (y != NULL)
    *y = self->y;
  if (width != NULL)
    *width = self->width;
  if (height != NULL)
    *height = self->height;
}

/**
 * viv_desktop_window_get_focused:
 *
 * Returns: whether the window had the focus when it was listed
 */
gboolean
viv_desktop_window_get_focused (VivDesktopWindow *self)
{
  return self->focused;
}
