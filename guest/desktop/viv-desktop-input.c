/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <X11/keysym.h>
#include <X11/extensions/XTest.h>

#include "viv-guest-http.h"
#include "viv-desktop-private.h"

/* Input goes through XTest as if from the real devices, so the server
 * delivers it like user input. Requests are sent back to back and the worker
 * syncs once at the end of the job: as fast as the server takes them. */

/* Intermediate motion events in a drag, for toolkits that wait for motion past
 * a threshold before they start dragging. */
#define DRAG_STEPS 8
/* When a spare keycode must be re-bound while clients may still be translating
 * key events of its old binding: how long to let them catch up. 50 ms was
 * too short for a client on a loaded 2-core machine (a character of the
 * pangram test arrived re-bound); this happens only for texts with more
 * distinct unmapped characters than there are spare keycodes. */
#define REBIND_SETTLE_US (200 * 1000)

typedef struct
{
  KeyCode  keycode;
  KeySym   bound;       /* NoSymbol: free */
  guint64  last_used;   /* run serial, for least-recently-used re-binding */
  gint64   last_time;   /* monotonic time of the last use */
} SpareKey;

struct _VivDesktopKeymap
{
  int      min_keycode;
  int      max_keycode;
  int      per_keycode;
  KeySym  *map;          /* XGetKeyboardMapping, refreshed per job */
  GArray  *spare;        /* of SpareKey: keycodes that had no symbols at all */
  guint64  serial;       /* a run: keys bound in it stay bound until it ends */
  guint64  settled;      /* the run in which clients were last given time */
};

void
viv_desktop_keymap_free (VivDesktopKeymap *keymap)
{
  if (keymap->map != NULL)
    XFree (keymap->map);
  g_array_unref (keymap->spare);
  g_free (keymap);
}

static gboolean
is_spare (VivDesktopKeymap *keymap,
          KeyCode           keycode)
{
  for (guint i = 0; i < keymap->spare->len; i++)
    if (g_array_index (keymap->spare, SpareKey, i).keycode == keycode)
      return TRUE;

  return FALSE;
}

/* Reads the keymap again: other clients (setxkbmap, a VNC viewer) may have
 * changed it since the last job. */
static VivDesktopKeymap *
load_keymap (VivX *x)
{
  VivDesktopKeymap *keymap = x->keymap;
  int count;

  if (keymap == NULL)
    {
      keymap = x->keymap = g_new0 (VivDesktopKeymap, 1);
      keymap->spare = g_array_new (FALSE, TRUE, sizeof (SpareKey));
      XDisplayKeycodes (x->display, &keymap->min_keycode, &keymap->max_keycode);
    }

  if (keymap->map != NULL)
    XFree (keymap->map);
  count = keymap->max_keycode - keymap->min_keycode + 1;
  keymap->map = XGetKeyboardMapping (x->display, keymap->min_keycode, count,
                                     &keymap->per_keycode);

  if (keymap->spare->len == 0)
    {
      /* The first keycode is skipped: some servers treat keycode 8 oddly. */
      for (int code = keymap->min_keycode + 1; code <= keymap->max_keycode; code++)
        {
          const KeySym *syms = keymap->map + (code - keymap->min_keycode) * keymap->per_keycode;
          gboolean empty = TRUE;

          for (int level = 0; level < keymap->per_keycode && empty; level++)
            empty = syms[level] == NoSymbol;

          if (empty)
            {
              SpareKey spare = { code, NoSymbol, 0 };

              g_array_append_val (keymap->spare, spare);
            }
        }
    }

  return keymap;
}

/* Finds @keysym on the first group's plain or shifted level. */
static gboolean
find_keysym (VivDesktopKeymap *keymap,
             KeySym            keysym,
             KeyCode          *keycode,
             gboolean         *shift)
{
  for (guint i = 0; i < keymap->spare->len; i++)
    {
      SpareKey *spare = &g_array_index (keymap->spare, SpareKey, i);

      if (spare->bound == keysym)
        {
          spare->last_used = keymap->serial;
          spare->last_time = g_get_monotonic_time ();
          *keycode = spare->keycode;
          *shift = FALSE;
          return TRUE;
        }
    }

  for (int code = keymap->min_keycode; code <= keymap->max_keycode; code++)
    {
      const KeySym *syms = keymap->map + (code - keymap->min_keycode) * keymap->per_keycode;

      if (is_spare (keymap, code))
        continue;

      for (int level = 0; level < MIN (2, keymap->per_keycode); level++)
        if (syms[level] == keysym)
          {
            *keycode = code;
            *shift = level == 1;
            return TRUE;
          }
    }

  return FALSE;
}

/* Binds @keysym to the least recently used spare keycode not used by the
 * current job (serial), as xdotool does for characters the layout lacks. */
static gboolean
bind_spare (VivX             *x,
            VivDesktopKeymap *keymap,
            KeySym            keysym,
            KeyCode          *keycode)
{
  SpareKey *best = NULL;
  KeySym syms[2] = { keysym, keysym };

  for (guint i = 0; i < keymap->spare->len; i++)
    {
      SpareKey *spare = &g_array_index (keymap->spare, SpareKey, i);

      if (spare->last_used == keymap->serial && spare->bound != NoSymbol)
        continue;
      if (best == NULL || spare->last_used < best->last_used)
        best = spare;
    }

  if (best == NULL)
    return FALSE;

  /* Clients translate key events with the mapping they know when they read
   * them; give them time to read the recent events of the old binding, once
   * per run. */
  if (best->bound != NoSymbol && keymap->settled != keymap->serial &&
      g_get_monotonic_time () - best->last_time < G_USEC_PER_SEC)
    {
      XSync (x->display, False);
      g_usleep (REBIND_SETTLE_US);
      keymap->settled = keymap->serial;
    }

  /* No XSync: the server handles our requests in order, so every client gets
   * the map notification before the key events that follow. */
  XChangeKeyboardMapping (x->display, best->keycode, 2, syms, 1);
  best->bound = keysym;
  best->last_used = keymap->serial;
  best->last_time = g_get_monotonic_time ();
  *keycode = best->keycode;
  return TRUE;
}

static gboolean
resolve_keysym (VivX     *x,
                KeySym    keysym,
                KeyCode  *keycode,
                gboolean *shift)
{
  VivDesktopKeymap *keymap = x->keymap;

  if (find_keysym (keymap, keysym, keycode, shift))
    return TRUE;

  *shift = FALSE;
  return bind_spare (x, keymap, keysym, keycode);
}

typedef struct
{
  KeyCode  keycode;
  gboolean shift;
} ResolvedKey;

/* Binds the characters of the longest run of @text that fits on the spare
 * keycodes, all before any of its keys is pressed, and returns where the run
 * ends. Binding a key just before pressing it loses characters: Xlib clients
 * (with XKB) load the key map only at their first key event and only then
 * ask for map notifications, so a binding made between their load and their
 * request is never seen; and Xlib forgets notifications that arrive while it
 * fetches earlier changes. Under load, clients read our key events late, so
 * both windows overlapped our bindings. Once every binding of a run precedes
 * its first key event, a client's load or fetch at that event sees them all. */
static const char *
bind_run (VivX             *x,
          VivDesktopKeymap *keymap,
          const char       *text,
          GArray           *keys)
{
  const char *p;

  g_array_set_size (keys, 0);
  for (p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      KeySym keysym = viv_desktop_keysym_from_unichar (g_utf8_get_char (p));
      ResolvedKey key = { 0, FALSE };

      if (!find_keysym (keymap, keysym, &key.keycode, &key.shift) &&
          !bind_spare (x, keymap, keysym, &key.keycode))
        break;
      g_array_append_val (keys, key);
    }

  return p;
}

static void
send_key (VivX    *x,
          KeyCode  keycode,
          gboolean press)
{
  XTestFakeKeyEvent (x->display, keycode, press, CurrentTime);
}

static void
set_no_keys_error (GError **error,
                   KeySym   keysym)
{
  const char *name = XKeysymToString (keysym);

  g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_SERVICE_UNAVAILABLE,
               "No keycode is free to type %s", name ? name : "a character");
}

gpointer
viv_desktop_type_job (VivX      *x,
                      gpointer   data,
                      GError   **error)
{
  const char *text = data;
  g_autoptr (GArray) keys = g_array_new (FALSE, FALSE, sizeof (ResolvedKey));
  VivDesktopKeymap *keymap;
  KeyCode shift_keycode;
  JsonObject *result;
  JsonNode *node;
  gint64 count = 0;

  /* All or nothing: a character we cannot type fails the job before a key
   * is pressed. */
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    if (viv_desktop_keysym_from_unichar (g_utf8_get_char (p)) == NoSymbol)
      {
        g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
                     "Cannot type the control character U+%04X", g_utf8_get_char (p));
        return NULL;
      }

  keymap = load_keymap (x);
  shift_keycode = XKeysymToKeycode (x->display, XK_Shift_L);

  for (const char *p = text; *p != '\0';)
    {
      const char *end;

      /* A run lasts until every spare keycode holds one of its characters. */
      keymap->serial++;
      end = bind_run (x, keymap, p, keys);
      if (end == p)
        {
          set_no_keys_error (error, viv_desktop_keysym_from_unichar (g_utf8_get_char (p)));
          return NULL;
        }

      for (guint i = 0; i < keys->len; i++)
        {
          const ResolvedKey *key = &g_array_index (keys, ResolvedKey, i);

          if (key->shift && shift_keycode != 0)
            send_key (x, shift_keycode, TRUE);
          send_key (x, key->keycode, TRUE);
          send_key (x, key->keycode, FALSE);
          if (key->shift && shift_keycode != 0)
            send_key (x, shift_keycode, FALSE);
          count++;
        }
      p = end;
    }

  result = json_object_new ();
  json_object_set_int_member (result, "characters", count);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, result);
  return node;
}

gpointer
viv_desktop_press_keys_job (VivX      *x,
                            gpointer   data,
                            GError   **error)
{
  char **names = data;
  guint n = g_strv_length (names);
  g_autofree KeySym *keysyms = g_new0 (KeySym, n);
  g_autofree KeyCode *keycodes = g_new0 (KeyCode, n + 1);
  g_autoptr (JsonArray) resolved = json_array_new ();
  JsonObject *result;
  JsonNode *node;
  gboolean needs_shift = FALSE, has_shift = FALSE;
  guint n_codes = 0;
  KeyCode shift_keycode;

  for (guint i = 0; i < n; i++)
    if (!viv_desktop_keysym_from_name (names[i], &keysyms[i]))
      {
        g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
                     "Unknown key “%s”", names[i]);
        return NULL;
      }

  load_keymap (x);
  x->keymap->serial++;
  shift_keycode = XKeysymToKeycode (x->display, XK_Shift_L);

  for (guint i = 0; i < n; i++)
    {
      gboolean shift;
      const char *name = XKeysymToString (keysyms[i]);

      if (!resolve_keysym (x, keysyms[i], &keycodes[i], &shift))
        {
          set_no_keys_error (error, keysyms[i]);
          return NULL;
        }

      needs_shift |= shift;
      has_shift |= keysyms[i] == XK_Shift_L || keysyms[i] == XK_Shift_R;
      json_array_add_string_element (resolved, name ? name : names[i]);
    }

  /* "A" or "exclam" need Shift like a person would press it. */
  if (needs_shift && !has_shift && shift_keycode != 0)
    {
      memmove (keycodes + 1, keycodes, n * sizeof (KeyCode));
      keycodes[0] = shift_keycode;
      n_codes = n + 1;
    }
  else
    n_codes = n;

  for (guint i = 0; i < n_codes; i++)
    send_key (x, keycodes[i], TRUE);
  for (guint i = n_codes; i > 0; i--)
    send_key (x, keycodes[i - 1], FALSE);

  result = json_object_new ();
  json_object_set_array_member (result, "keys", g_steal_pointer (&resolved));
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, result);
  return node;
}

static JsonNode *
position_node (int px,
               int py)
{
  JsonObject *object = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_int_member (object, "x", px);
  json_object_set_int_member (object, "y", py);
  json_node_take_object (node, object);
  return node;
}

static gboolean
query_pointer (VivX *x,
               int  *px,
               int  *py)
{
  Window root, child;
  int window_x, window_y;
  unsigned int mask;

  return XQueryPointer (x->display, x->root, &root, &child, px, py,
                        &window_x, &window_y, &mask);
}

gpointer
viv_desktop_cursor_job (VivX      *x,
                        gpointer   data,
                        GError   **error)
{
  int px = 0, py = 0;

  if (!query_pointer (x, &px, &py))
    {
      g_set_error_literal (error, VIV_HTTP_ERROR, SOUP_STATUS_SERVICE_UNAVAILABLE,
                           "The pointer is on another screen");
      return NULL;
    }

  return position_node (px, py);
}

static gboolean
on_screen (VivX    *x,
           int      px,
           int      py,
           GError **error)
{
  if (px < 0 || py < 0 || px >= x->width || py >= x->height)
    {
      viv_x_set_error_out_of_screen (x, px, py, error);
      return FALSE;
    }

  return TRUE;
}

static void
move (VivX *x,
      int   px,
      int   py)
{
  XTestFakeMotionEvent (x->display, x->screen, px, py, CurrentTime);
}

static void
button (VivX         *x,
        unsigned int  number,
        gboolean      press)
{
  XTestFakeButtonEvent (x->display, number, press, CurrentTime);
}

gpointer
viv_desktop_pointer_job (VivX      *x,
                         gpointer   data,
                         GError   **error)
{
  VivPointerRequest *request = data;
  int px = 0, py = 0;

  if (request->has_position && !on_screen (x, request->x, request->y, error))
    return NULL;
  if (request->action == VIV_POINTER_DRAG && !on_screen (x, request->to_x, request->to_y, error))
    return NULL;

  if (request->has_position)
    move (x, request->x, request->y);

  switch (request->action)
    {
    case VIV_POINTER_MOVE:
      break;

    case VIV_POINTER_CLICK:
      for (int i = 0; i < request->count; i++)
        {
          button (x, request->button, TRUE);
          button (x, request->button, FALSE);
        }
      break;

    case VIV_POINTER_PRESS:
      button (x, request->button, TRUE);
      break;

    case VIV_POINTER_RELEASE:
      button (x, request->button, FALSE);
      break;

    case VIV_POINTER_DRAG:
      button (x, request->button, TRUE);
      for (int step = 1; step <= DRAG_STEPS; step++)
        move (x,
              request->x + (request->to_x - request->x) * step / DRAG_STEPS,
              request->y + (request->to_y - request->y) * step / DRAG_STEPS);
      button (x, request->button, FALSE);
      break;

    case VIV_POINTER_SCROLL:
      /* Wheel steps are clicks of buttons 4 to 7. */
      for (int i = 0; i < request->count; i++)
        {
          button (x, request->button, TRUE);
          button (x, request->button, FALSE);
        }
      break;

    default:
      g_assert_not_reached ();
    }

  if (!query_pointer (x, &px, &py))
    px = py = -1;

  return position_node (px, py);
}
