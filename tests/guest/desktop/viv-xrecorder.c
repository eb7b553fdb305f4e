/* SPDX-License-Identifier: GPL-3.0-or-later */

/* viv-xrecorder: an X client for the desktop tests. It maps a window, paints
 * known coloured rectangles, takes the focus, and prints one line per event
 * it receives, so that tests can check what really arrived:
 *
 *   READY <window id>
 *   KEY <keysym hex> <keysym name> <text as hex, or ->
 *   PRESS <button> <root x> <root y>      RELEASE <button> <root x> <root y>
 *   FOCUSIN  FOCUSOUT  CLOSE
 *   OWNED                 after the stdin command "copy <text as hex>"
 *   PASTE <text as hex>   after the stdin command "paste" (PASTE-NONE: nothing)
 *
 * Usage: viv-xrecorder [--title TITLE] [--geometry WxH+X+Y] [--log FILE]
 */

#include <locale.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>

/* The pattern, relative to the window; tests/guest/desktop/test-desktop.c knows it. */
static const struct
{
  int           x, y, width, height;
  unsigned long rgb;
} rectangles[] = {
  { 0, 0, 8192, 8192, 0x204060 },
  { 100, 100, 200, 150, 0xff0000 },
  { 400, 100, 200, 150, 0x00ff00 },
  { 100, 300, 200, 150, 0x0000ff },
  { 400, 300, 200, 150, 0xffffff },
};

static Display *display;
static Window window;
static char *clipboard_text;
static Atom clipboard, utf8_string, targets, transfer;

static void
print_hex (const char *prefix,
           const char *text,
           int         length)
{
  printf ("%s", prefix);
  if (length <= 0)
    printf (" -");
  else
    {
      printf (" ");
      for (int i = 0; i < length; i++)
        printf ("%02x", (unsigned char) text[i]);
    }
  printf ("\n");
}

static char *
from_hex (const char *hex)
{
  size_t length = strlen (hex) / 2;
  char *text = calloc (length + 1, 1);

  for (size_t i = 0; i < length; i++)
    {
      unsigned int byte;

      sscanf (hex + 2 * i, "%2x", &byte);
      text[i] = (char) byte;
    }

  return text;
}

static void
paint (GC gc)
{
  for (size_t i = 0; i < sizeof rectangles / sizeof rectangles[0]; i++)
    {
      /* A 24-bit TrueColor visual: the pixel is the RGB value. */
      XSetForeground (display, gc, rectangles[i].rgb);
      XFillRectangle (display, window, gc, rectangles[i].x, rectangles[i].y,
                      rectangles[i].width, rectangles[i].height);
    }
}

static void
handle_command (char *line)
{
  line[strcspn (line, "\n")] = '\0';

  if (strncmp (line, "copy ", 5) == 0)
    {
      free (clipboard_text);
      clipboard_text = from_hex (line + 5);
      XSetSelectionOwner (display, clipboard, window, CurrentTime);
      printf ("%s\n", XGetSelectionOwner (display, clipboard) == window ? "OWNED" : "NOT-OWNED");
    }
  else if (strcmp (line, "paste") == 0)
    {
      XDeleteProperty (display, window, transfer);
      XConvertSelection (display, clipboard, utf8_string, transfer, window, CurrentTime);
    }
  else if (strcmp (line, "focus") == 0)
    {
      XSetInputFocus (display, window, RevertToParent, CurrentTime);
    }
}

static void
answer_selection_request (XSelectionRequestEvent *request)
{
  XEvent reply = { 0 };

  reply.xselection.type = SelectionNotify;
  reply.xselection.requestor = request->requestor;
  reply.xselection.selection = request->selection;
  reply.xselection.target = request->target;
  reply.xselection.time = request->time;
  reply.xselection.property = None;

  if (clipboard_text != NULL && request->target == utf8_string)
    {
      XChangeProperty (display, request->requestor, request->property, utf8_string, 8,
                       PropModeReplace, (unsigned char *) clipboard_text,
                       strlen (clipboard_text));
      reply.xselection.property = request->property;
    }
  else if (clipboard_text != NULL && request->target == targets)
    {
      Atom list[] = { targets, utf8_string };

      XChangeProperty (display, request->requestor, request->property, XA_ATOM, 32,
                       PropModeReplace, (unsigned char *) list, 2);
      reply.xselection.property = request->property;
    }

  XSendEvent (display, request->requestor, False, NoEventMask, &reply);
}

static void
print_paste (XSelectionEvent *event)
{
  Atom type;
  int format;
  unsigned long n_items = 0, after;
  unsigned char *data = NULL;

  if (event->property == None ||
      XGetWindowProperty (display, window, transfer, 0, 1 << 20, True, AnyPropertyType,
                          &type, &format, &n_items, &after, &data) != Success ||
      data == NULL)
    printf ("PASTE-NONE\n");
  else
    print_hex ("PASTE", (const char *) data, (int) n_items);

  if (data != NULL)
    XFree (data);
}

int
main (int    argc,
      char **argv)
{
  const char *title = "viv-xrecorder";
  unsigned int width = 0, height = 0;
  int left = 0, top = 0;
  XIM im;
  XIC ic = NULL;
  GC gc;
  Atom wm_protocols, wm_delete_window, net_wm_name, net_wm_pid;
  XClassHint class_hint = { (char *) "viv-xrecorder", (char *) "VivXrecorder" };
  XSizeHints size_hints = { 0 };
  long pid = getpid ();
  int ready = 0;
  int stdin_open = 1;

  for (int i = 1; i + 1 < argc; i += 2)
    {
      if (strcmp (argv[i], "--title") == 0)
        title = argv[i + 1];
      else if (strcmp (argv[i], "--geometry") == 0)
        XParseGeometry (argv[i + 1], &left, &top, &width, &height);
      else if (strcmp (argv[i], "--log") == 0 && freopen (argv[i + 1], "w", stdout) == NULL)
        return 1;
    }

  setvbuf (stdout, NULL, _IOLBF, 0);
  /* One command per fgets () straight from the pipe: a buffered stdin could
   * hold a second command that poll () then never reports. */
  setvbuf (stdin, NULL, _IONBF, 0);
  /* UTF-8 text from key events needs a UTF-8 locale; no input method server. */
  if (setlocale (LC_ALL, "C.UTF-8") == NULL || !XSupportsLocale ())
    {
      fprintf (stderr, "viv-xrecorder: no UTF-8 locale\n");
      return 1;
    }
  XSetLocaleModifiers ("@im=none");

  display = XOpenDisplay (NULL);
  if (display == NULL)
    {
      fprintf (stderr, "viv-xrecorder: cannot open the display\n");
      return 1;
    }

  if (width == 0 || height == 0)
    {
      width = DisplayWidth (display, DefaultScreen (display));
      height = DisplayHeight (display, DefaultScreen (display));
    }

  clipboard = XInternAtom (display, "CLIPBOARD", False);
  utf8_string = XInternAtom (display, "UTF8_STRING", False);
  targets = XInternAtom (display, "TARGETS", False);
  transfer = XInternAtom (display, "VIV_XRECORDER", False);
  wm_protocols = XInternAtom (display, "WM_PROTOCOLS", False);
  wm_delete_window = XInternAtom (display, "WM_DELETE_WINDOW", False);
  net_wm_name = XInternAtom (display, "_NET_WM_NAME", False);
  net_wm_pid = XInternAtom (display, "_NET_WM_PID", False);

  window = XCreateSimpleWindow (display, DefaultRootWindow (display), left, top, width, height,
                                0, 0, 0x204060);
  XSelectInput (display, window,
                KeyPressMask | KeyReleaseMask | ButtonPressMask | ButtonReleaseMask |
                ExposureMask | FocusChangeMask | StructureNotifyMask);
  XStoreName (display, window, title);
  XChangeProperty (display, window, net_wm_name, utf8_string, 8, PropModeReplace,
                   (unsigned char *) title, strlen (title));
  XSetClassHint (display, window, &class_hint);
  XChangeProperty (display, window, net_wm_pid, XA_CARDINAL, 32, PropModeReplace,
                   (unsigned char *) &pid, 1);
  XSetWMProtocols (display, window, &wm_delete_window, 1);
  size_hints.flags = USPosition | USSize;
  size_hints.x = left;
  size_hints.y = top;
  size_hints.width = width;
  size_hints.height = height;
  XSetWMNormalHints (display, window, &size_hints);

  im = XOpenIM (display, NULL, NULL, NULL);
  if (im != NULL)
    ic = XCreateIC (im, XNInputStyle, XIMPreeditNothing | XIMStatusNothing,
                    XNClientWindow, window, XNFocusWindow, window, NULL);
  if (ic == NULL)
    {
      fprintf (stderr, "viv-xrecorder: no input context\n");
      return 1;
    }

  gc = XCreateGC (display, window, 0, NULL);
  XMapRaised (display, window);
  XFlush (display);

  for (;;)
    {
      struct pollfd fds[2] = {
        { ConnectionNumber (display), POLLIN, 0 },
        { stdin_open ? STDIN_FILENO : -1, POLLIN, 0 },
      };

      while (XPending (display) > 0)
        {
          XEvent event;

          XNextEvent (display, &event);
          if (XFilterEvent (&event, None))
            continue;

          switch (event.type)
            {
            case Expose:
              if (event.xexpose.count == 0)
                {
                  paint (gc);
                  if (!ready)
                    {
                      /* Painted, and focused: what tests wait for. */
                      XSetInputFocus (display, window, RevertToParent, CurrentTime);
                      XSync (display, False);
                      printf ("READY %lu\n", (unsigned long) window);
                      ready = 1;
                    }
                }
              break;

            case KeyPress:
              {
                char text[64];
                KeySym keysym = NoSymbol;
                Status status;
                int length = Xutf8LookupString (ic, &event.xkey, text, sizeof text - 1,
                                                &keysym, &status);
                const char *name = XKeysymToString (keysym);
                char prefix[128];

                if (status != XLookupChars && status != XLookupBoth)
                  length = 0;
                snprintf (prefix, sizeof prefix, "KEY 0x%lx %s", (unsigned long) keysym,
                          name ? name : "-");
                print_hex (prefix, text, length);
              }
              break;

            case ButtonPress:
            case ButtonRelease:
              printf ("%s %u %d %d\n", event.type == ButtonPress ? "PRESS" : "RELEASE",
                      event.xbutton.button, event.xbutton.x_root, event.xbutton.y_root);
              break;

            case FocusIn:
            case FocusOut:
              if (event.xfocus.mode == NotifyNormal)
                printf ("%s\n", event.type == FocusIn ? "FOCUSIN" : "FOCUSOUT");
              break;

            case MappingNotify:
              XRefreshKeyboardMapping (&event.xmapping);
              break;

            case ClientMessage:
              if (event.xclient.message_type == wm_protocols &&
                  (Atom) event.xclient.data.l[0] == wm_delete_window)
                {
                  printf ("CLOSE\n");
                  XCloseDisplay (display);
                  return 0;
                }
              break;

            case SelectionRequest:
              answer_selection_request (&event.xselectionrequest);
              break;

            case SelectionNotify:
              print_paste (&event.xselection);
              break;

            case SelectionClear:
              free (clipboard_text);
              clipboard_text = NULL;
              break;

            default:
              break;
            }
        }

      /* XFlush () may read events into Xlib's queue while it waits to write;
       * those never make the socket readable again. */
      XFlush (display);
      if (QLength (display) > 0)
        continue;
      if (poll (fds, 2, -1) < 0)
        return 1;

      if (fds[1].revents & (POLLIN | POLLHUP | POLLERR))
        {
          char line[65536];

          /* Without commands (launched as an app), only the X connection or a
           * signal ends it. */
          if (fgets (line, sizeof line, stdin) == NULL)
            stdin_open = 0;
          else
            handle_command (line);
        }
    }
}
