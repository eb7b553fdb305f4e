/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <X11/Xlib.h>
#include <X11/keysym.h>

#include "viv-desktop-private.h"

/* The key names of E2B's desktop SDK (`press()`, spec §4.3), which it maps to
 * xdotool names before running `xdotool key`; we map them to the same keysyms. */
static const struct
{
  const char *name;
  KeySym      keysym;
} e2b_keys[] = {
  { "alt", XK_Alt_L }, { "alt_left", XK_Alt_L }, { "alt_right", XK_Alt_R },
  { "ctrl", XK_Control_L }, { "control", XK_Control_L },
  { "ctrl_left", XK_Control_L }, { "ctrl_right", XK_Control_R },
  { "control_left", XK_Control_L }, { "control_right", XK_Control_R },
  { "shift", XK_Shift_L }, { "shift_left", XK_Shift_L }, { "shift_right", XK_Shift_R },
  { "meta", XK_Meta_L }, { "meta_left", XK_Meta_L }, { "meta_right", XK_Meta_R },
  { "cmd", XK_Super_L }, { "command", XK_Super_L }, { "super", XK_Super_L },
  { "win", XK_Super_L }, { "windows", XK_Super_L },
  { "cmd_left", XK_Super_L }, { "cmd_right", XK_Super_R },
  { "command_left", XK_Super_L }, { "command_right", XK_Super_R },
  { "super_left", XK_Super_L }, { "super_right", XK_Super_R },
  { "win_left", XK_Super_L }, { "win_right", XK_Super_R },
  { "windows_left", XK_Super_L }, { "windows_right", XK_Super_R },
  { "enter", XK_Return }, { "return", XK_Return },
  { "esc", XK_Escape }, { "escape", XK_Escape },
  { "backspace", XK_BackSpace }, { "del", XK_Delete }, { "delete", XK_Delete },
  { "break", XK_Pause }, { "pause", XK_Pause },
  { "page_up", XK_Page_Up }, { "pageup", XK_Page_Up },
  { "page_down", XK_Page_Down }, { "pagedown", XK_Page_Down },
  { "up", XK_Up }, { "down", XK_Down }, { "left", XK_Left }, { "right", XK_Right },
  { "arrow_up", XK_Up }, { "arrow_down", XK_Down },
  { "arrow_left", XK_Left }, { "arrow_right", XK_Right },
  { "home", XK_Home }, { "end", XK_End }, { "insert", XK_Insert },
  { "caps_lock", XK_Caps_Lock }, { "num_lock", XK_Num_Lock }, { "scroll_lock", XK_Scroll_Lock },
  { "print", XK_Print }, { "print_screen", XK_Print }, { "menu", XK_Menu },
  { "space", XK_space }, { "tab", XK_Tab },
  { "f1", XK_F1 }, { "f2", XK_F2 }, { "f3", XK_F3 }, { "f4", XK_F4 },
  { "f5", XK_F5 }, { "f6", XK_F6 }, { "f7", XK_F7 }, { "f8", XK_F8 },
  { "f9", XK_F9 }, { "f10", XK_F10 }, { "f11", XK_F11 }, { "f12", XK_F12 },
};

/* The keysym that types @unichar: Latin-1 keysyms equal their code point;
 * everything else has a Unicode keysym (0x01000000 + code point). */
KeySym
viv_desktop_keysym_from_unichar (gunichar unichar)
{
  switch (unichar)
    {
    case '\n':
    case '\r':
      return XK_Return;
    case '\t':
      return XK_Tab;
    case '\b':
      return XK_BackSpace;
    case 0x1b:
      return XK_Escape;
    case 0x7f:
      return XK_Delete;
    default:
      break;
    }

  if (unichar < 0x20 || (unichar >= 0x80 && unichar < 0xa0))
    return NoSymbol;
  if (unichar < 0x100)
    return unichar;

  return 0x01000000 + unichar;
}

/**
 * viv_desktop_keysym_from_name:
 *
 * E2B's names (case-insensitive), then X keysym names as they are, then in
 * lower case (E2B lowercases names it does not know), then a single character.
 */
gboolean
viv_desktop_keysym_from_name (const char *name,
                              KeySym     *keysym)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);
  KeySym found;

  for (guint i = 0; i < G_N_ELEMENTS (e2b_keys); i++)
    if (strcmp (lower, e2b_keys[i].name) == 0)
      {
        *keysym = e2b_keys[i].keysym;
        return TRUE;
      }

  /* XStringToKeysym reads Xlib's keysym database but no display. */
  if ((found = XStringToKeysym (name)) != NoSymbol ||
      (found = XStringToKeysym (lower)) != NoSymbol)
    {
      *keysym = found;
      return TRUE;
    }

  if (g_utf8_validate (name, -1, NULL) && g_utf8_strlen (name, -1) == 1 &&
      (found = viv_desktop_keysym_from_unichar (g_utf8_get_char (name))) != NoSymbol)
    {
      *keysym = found;
      return TRUE;
    }

  return FALSE;
}
