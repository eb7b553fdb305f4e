/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <X11/Xatom.h>

#include "viv-guest-http.h"
#include "viv-desktop-private.h"

/* The CLIPBOARD selection (ICCCM §2): setting it makes the worker's window its
 * owner, which then answers every SelectionRequest for as long as it owns it;
 * reading asks the current owner to convert it to UTF8_STRING. */

/* How long the owner has to answer, and to send each INCR chunk. */
#define CONVERT_TIMEOUT_MS 3000

struct _VivDesktopClipboard
{
  char     *text;      /* what we serve while we own the selection */
  gboolean  owned;
};

void
viv_desktop_clipboard_free (VivDesktopClipboard *clipboard)
{
  g_free (clipboard->text);
  g_free (clipboard);
}

static VivDesktopClipboard *
get_state (VivX *x)
{
  if (x->clipboard_state == NULL)
    x->clipboard_state = g_new0 (VivDesktopClipboard, 1);

  return x->clipboard_state;
}

/* The largest property we write in one request; larger texts would need the
 * INCR protocol, which we refuse to serve rather than half do. */
static gsize
max_property_size (VivX *x)
{
  long words = XExtendedMaxRequestSize (x->display);

  if (words == 0)
    words = XMaxRequestSize (x->display);

  return (gsize) words * 4 - 1024;
}

gboolean
viv_desktop_clipboard_set (VivX        *x,
                           const char  *text,
                           GError     **error)
{
  VivDesktopClipboard *state = get_state (x);

  if (strlen (text) > max_property_size (x))
    {
      g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                   "The clipboard text is larger than %" G_GSIZE_FORMAT " bytes",
                   max_property_size (x));
      return FALSE;
    }

  g_free (state->text);
  state->text = g_strdup (text);

  XSetSelectionOwner (x->display, x->clipboard, x->own_window, CurrentTime);
  state->owned = XGetSelectionOwner (x->display, x->clipboard) == x->own_window;
  if (!state->owned)
    {
      g_set_error_literal (error, VIV_HTTP_ERROR, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                           "The X server did not make us the clipboard's owner");
      return FALSE;
    }

  return TRUE;
}

static gboolean
answer_request (VivX                   *x,
                VivDesktopClipboard    *state,
                XSelectionRequestEvent *request,
                Atom                    property)
{
  if (request->target == x->targets)
    {
      Atom targets[] = { x->targets, x->utf8_string, XA_STRING, x->text };

      XChangeProperty (x->display, request->requestor, property, XA_ATOM, 32, PropModeReplace,
                       (unsigned char *) targets, G_N_ELEMENTS (targets));
      return TRUE;
    }

  if (request->target == x->utf8_string || request->target == x->text)
    {
      XChangeProperty (x->display, request->requestor, property, x->utf8_string, 8,
                       PropModeReplace, (unsigned char *) state->text, strlen (state->text));
      return TRUE;
    }

  if (request->target == XA_STRING)
    {
      g_autofree char *latin1 = g_convert_with_fallback (state->text, -1, "ISO-8859-1", "UTF-8",
                                                         "?", NULL, NULL, NULL);

      if (latin1 == NULL)
        return FALSE;
      XChangeProperty (x->display, request->requestor, property, XA_STRING, 8,
                       PropModeReplace, (unsigned char *) latin1, strlen (latin1));
      return TRUE;
    }

  return FALSE;
}

gboolean
viv_desktop_clipboard_handle_event (VivX   *x,
                                    XEvent *event)
{
  VivDesktopClipboard *state = get_state (x);

  if (event->type == SelectionClear && event->xselectionclear.window == x->own_window)
    {
      if (event->xselectionclear.selection == x->clipboard)
        {
          state->owned = FALSE;
          g_clear_pointer (&state->text, g_free);
        }
      return TRUE;
    }

  if (event->type == SelectionRequest && event->xselectionrequest.owner == x->own_window)
    {
      XSelectionRequestEvent *request = &event->xselectionrequest;
      XEvent reply = { 0 };
      /* Obsolete clients name no property: use the target (ICCCM §2.2). */
      Atom property = request->property != None ? request->property : request->target;

      reply.xselection.type = SelectionNotify;
      reply.xselection.requestor = request->requestor;
      reply.xselection.selection = request->selection;
      reply.xselection.target = request->target;
      reply.xselection.time = request->time;
      reply.xselection.property = None;

      /* The requestor may be gone by now. */
      viv_x_trap_push (x);
      if (state->owned && state->text != NULL && request->selection == x->clipboard &&
          answer_request (x, state, request, property))
        reply.xselection.property = property;
      XSendEvent (x->display, request->requestor, False, NoEventMask, &reply);
      viv_x_trap_pop (x);
      return TRUE;
    }

  return FALSE;
}

static gboolean
is_selection_notify_cb (XEvent   *event,
                        gpointer  data)
{
  VivX *x = data;

  return event->type == SelectionNotify && event->xselection.requestor == x->own_window;
}

static gboolean
is_new_transfer_cb (XEvent   *event,
                    gpointer  data)
{
  VivX *x = data;

  return event->type == PropertyNotify && event->xproperty.window == x->own_window &&
         event->xproperty.atom == x->transfer && event->xproperty.state == PropertyNewValue;
}

/* Reads and deletes our transfer property. */
static gboolean
read_transfer (VivX     *x,
               Atom     *type,
               GString  *into)
{
  int format;
  unsigned long n_items = 0, after = 0;
  unsigned char *data = NULL;

  if (XGetWindowProperty (x->display, x->own_window, x->transfer, 0, G_MAXLONG / 4, True,
                          AnyPropertyType, type, &format, &n_items, &after, &data) != Success)
    return FALSE;

  if (data != NULL)
    {
      if (format == 8)
        g_string_append_len (into, (const char *) data, n_items);
      XFree (data);
    }

  return TRUE;
}

static char *
convert (VivX     *x,
         Atom      target,
         GError  **error)
{
  g_autoptr (GString) text = g_string_new (NULL);
  XEvent event;
  Atom type = None;

  XDeleteProperty (x->display, x->own_window, x->transfer);
  XConvertSelection (x->display, x->clipboard, target, x->transfer, x->own_window, CurrentTime);
  XFlush (x->display);

  if (!viv_x_wait_for_event (x, is_selection_notify_cb, x, CONVERT_TIMEOUT_MS, &event))
    {
      g_set_error_literal (error, VIV_HTTP_ERROR, SOUP_STATUS_GATEWAY_TIMEOUT,
                           "The clipboard's owner did not answer");
      return NULL;
    }

  if (event.xselection.property == None)
    return NULL;  /* it cannot convert to @target */

  if (!read_transfer (x, &type, text))
    {
      g_set_error_literal (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_GATEWAY,
                           "The clipboard's owner gave nothing to read");
      return NULL;
    }

  if (type == x->incr)
    {
      /* ICCCM §2.7.2: deleting the property asks for the next chunk; an
       * empty chunk ends the transfer. */
      g_string_truncate (text, 0);
      for (;;)
        {
          gsize before = text->len;

          if (!viv_x_wait_for_event (x, is_new_transfer_cb, x, CONVERT_TIMEOUT_MS, &event))
            {
              g_set_error_literal (error, VIV_HTTP_ERROR, SOUP_STATUS_GATEWAY_TIMEOUT,
                                   "The clipboard's owner stopped sending");
              return NULL;
            }
          if (!read_transfer (x, &type, text))
            break;
          if (text->len == before)
            break;
        }
    }

  if (type == XA_STRING)
    return g_convert (text->str, text->len, "UTF-8", "ISO-8859-1", NULL, NULL, NULL);

  return g_utf8_make_valid (text->str, text->len);
}

char *
viv_desktop_clipboard_get (VivX     *x,
                           GError  **error)
{
  VivDesktopClipboard *state = get_state (x);
  GError *local_error = NULL;
  char *text;

  if (state->owned && state->text != NULL)
    return g_strdup (state->text);

  if (XGetSelectionOwner (x->display, x->clipboard) == None)
    return g_strdup ("");

  text = convert (x, x->utf8_string, &local_error);
  if (text == NULL && local_error == NULL)
    text = convert (x, XA_STRING, &local_error);

  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }

  if (text == NULL)
    g_set_error_literal (error, VIV_HTTP_ERROR, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
                         "The clipboard holds no text");

  return text;
}
