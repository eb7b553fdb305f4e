/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "viv-rfb-filter.h"

/* Client messages (RFC 6143 §7.5, and the registered extensions that TigerVNC
 * and QEMU clients such as noVNC and gvnc send). */
enum {
  MSG_SET_PIXEL_FORMAT          = 0,
  MSG_SET_ENCODINGS             = 2,
  MSG_FRAMEBUFFER_UPDATE_REQUEST = 3,
  MSG_KEY_EVENT                 = 4,
  MSG_POINTER_EVENT             = 5,
  MSG_CLIENT_CUT_TEXT           = 6,
  MSG_ENABLE_CONTINUOUS_UPDATES = 150,
  MSG_CLIENT_FENCE              = 248,
  MSG_XVP                       = 250,
  MSG_SET_DESKTOP_SIZE          = 251,
  MSG_QEMU                      = 255,
};

enum {
  QEMU_EXTENDED_KEY_EVENT = 0,
  QEMU_AUDIO              = 1,
};

/* Larger clipboard texts are refused rather than buffered. */
#define CUT_TEXT_MAX (8 * 1024 * 1024)

typedef enum {
  STATE_VERSION,
  STATE_SECURITY_TYPE,
  STATE_VNC_AUTH_RESPONSE,
  STATE_CLIENT_INIT,
  STATE_MESSAGES,
} State;

struct _VivRfbFilter
{
  State       state;
  GByteArray *pending;

  /* What forwarded input holds down, to release it when input gets blocked. */
  guint8      button_mask;
  guint16     pointer_x;
  guint16     pointer_y;
  GHashTable *keys;           /* keysym → keysym, from KeyEvent */
  GHashTable *extended_keys;  /* keycode → keysym, from QEMU extended key events */
};

static inline guint16
read_u16 (const guint8 *p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

static inline guint32
read_u32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static inline void
write_u16 (guint8 *p, guint16 v)
{
  p[0] = v >> 8;
  p[1] = v & 0xff;
}

static inline void
write_u32 (guint8 *p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = (v >> 16) & 0xff;
  p[2] = (v >> 8) & 0xff;
  p[3] = v & 0xff;
}

VivRfbFilter *
viv_rfb_filter_new (void)
{
  VivRfbFilter *self = g_new0 (VivRfbFilter, 1);

  self->state = STATE_VERSION;
  self->pending = g_byte_array_new ();
  self->keys = g_hash_table_new (NULL, NULL);
  self->extended_keys = g_hash_table_new (NULL, NULL);
  return self;
}

void
viv_rfb_filter_free (VivRfbFilter *self)
{
  if (self == NULL)
    return;

  g_byte_array_unref (self->pending);
  g_hash_table_unref (self->keys);
  g_hash_table_unref (self->extended_keys);
  g_free (self);
}

/* How long the message at @p is, given @available bytes of it: 0 when more
 * bytes are needed to tell, -1 when it cannot be told at all. *is_input says
 * whether it is input that a view-only connection must not send. */
static gssize
message_length (const guint8 *p,
                gsize         available,
                gboolean     *is_input,
                GError      **error)
{
  *is_input = FALSE;

  switch (p[0])
    {
    case MSG_SET_PIXEL_FORMAT:
      return 20;

    case MSG_SET_ENCODINGS:
      return available < 4 ? 0 : 4 + 4 * (gssize) read_u16 (p + 2);

    case MSG_FRAMEBUFFER_UPDATE_REQUEST:
    case MSG_ENABLE_CONTINUOUS_UPDATES:
      return 10;

    case MSG_KEY_EVENT:
      *is_input = TRUE;
      return 8;

    case MSG_POINTER_EVENT:
      *is_input = TRUE;
      return 6;

    case MSG_CLIENT_CUT_TEXT:
      {
        gint32 length;

        *is_input = TRUE;
        if (available < 8)
          return 0;

        /* A negative length is the Extended Clipboard's framing of |length| bytes. */
        length = (gint32) read_u32 (p + 4);
        if (length == G_MININT32 || ABS (length) > CUT_TEXT_MAX)
          {
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                         "Clipboard text larger than %d bytes", CUT_TEXT_MAX);
            return -1;
          }
        return 8 + (gssize) ABS (length);
      }

    case MSG_CLIENT_FENCE:
      return available < 9 ? 0 : 9 + (gssize) p[8];

    case MSG_XVP:
      /* Shutdown/reboot requests are control of the machine, like input. */
      *is_input = TRUE;
      return 4;

    case MSG_SET_DESKTOP_SIZE:
      return available < 8 ? 0 : 8 + 16 * (gssize) p[6];

    case MSG_QEMU:
      if (available < 2)
        return 0;
      if (p[1] == QEMU_EXTENDED_KEY_EVENT)
        {
          *is_input = TRUE;
          return 12;
        }
      if (p[1] == QEMU_AUDIO)
        {
          if (available < 4)
            return 0;
          switch (read_u16 (p + 2))
            {
            case 0: /* enable */
            case 1: /* disable */
              return 4;
            case 2: /* set format */
              return 10;
            default:
              break;
            }
        }
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "Unknown QEMU client message %u", p[1]);
      return -1;

    default:
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "Unknown RFB client message type %u", p[0]);
      return -1;
    }
}

static void
track_input (VivRfbFilter *self,
             const guint8 *p)
{
  switch (p[0])
    {
    case MSG_KEY_EVENT:
      {
        guint32 keysym = read_u32 (p + 4);

        if (p[1])
          g_hash_table_add (self->keys, GUINT_TO_POINTER (keysym));
        else
          g_hash_table_remove (self->keys, GUINT_TO_POINTER (keysym));
      }
      break;

    case MSG_POINTER_EVENT:
      self->button_mask = p[1];
      self->pointer_x = read_u16 (p + 2);
      self->pointer_y = read_u16 (p + 4);
      break;

    case MSG_QEMU:
      if (p[1] == QEMU_EXTENDED_KEY_EVENT)
        {
          guint32 keysym = read_u32 (p + 4);
          guint32 keycode = read_u32 (p + 8);

          if (read_u16 (p + 2))
            g_hash_table_insert (self->extended_keys, GUINT_TO_POINTER (keycode),
                                 GUINT_TO_POINTER (keysym));
          else
            g_hash_table_remove (self->extended_keys, GUINT_TO_POINTER (keycode));
        }
      break;

    default:
      break;
    }
}

static gboolean
parse_version (const guint8  *p,
               GError       **error)
{
  /* "RFB 003.008\n". A 3.3 client lets the server pick the security type, so its
   * next bytes could only be told by following the server too; nobody current
   * speaks it (noVNC, gvnc and TigerVNC all speak 3.8). */
  if (memcmp (p, "RFB 003.007\n", 12) == 0 || memcmp (p, "RFB 003.008\n", 12) == 0)
    return TRUE;

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
               "Unsupported RFB version “%.11s”; use 3.7 or 3.8", (const char *) p);
  return FALSE;
}

gboolean
viv_rfb_filter_feed (VivRfbFilter  *self,
                     const guint8  *data,
                     gsize          length,
                     gboolean       allow_input,
                     GByteArray    *out,
                     GError       **error)
{
  gsize offset = 0;
  gboolean ok = TRUE;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  g_byte_array_append (self->pending, data, length);

  while (offset < self->pending->len)
    {
      guint8 *p = self->pending->data + offset;
      gsize available = self->pending->len - offset;
      gssize needed;
      gboolean is_input = FALSE;

      switch (self->state)
        {
        case STATE_VERSION:
          needed = 12;
          break;
        case STATE_SECURITY_TYPE:
        case STATE_CLIENT_INIT:
          needed = 1;
          break;
        case STATE_VNC_AUTH_RESPONSE:
          needed = 16;
          break;
        case STATE_MESSAGES:
        default:
          needed = message_length (p, available, &is_input, error);
          break;
        }

      if (needed < 0)
        {
          ok = FALSE;
          break;
        }
      if (needed == 0 || (gsize) needed > available)
        break;

      switch (self->state)
        {
        case STATE_VERSION:
          if (!(ok = parse_version (p, error)))
            break;
          self->state = STATE_SECURITY_TYPE;
          break;

        case STATE_SECURITY_TYPE:
          /* None, or VNC authentication's fixed 16-byte response. Other types
           * (TLS, VeNCrypt, SASL) frame their own data. */
          if (p[0] == 1)
            self->state = STATE_CLIENT_INIT;
          else if (p[0] == 2)
            self->state = STATE_VNC_AUTH_RESPONSE;
          else
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           "Unsupported RFB security type %u", p[0]);
              ok = FALSE;
            }
          break;

        case STATE_VNC_AUTH_RESPONSE:
          self->state = STATE_CLIENT_INIT;
          break;

        case STATE_CLIENT_INIT:
          /* A non-shared client would make the server drop every other viewer. */
          p[0] = 1;
          self->state = STATE_MESSAGES;
          break;

        case STATE_MESSAGES:
        default:
          break;
        }

      if (!ok)
        break;

      if (!is_input || allow_input)
        {
          if (is_input)
            track_input (self, p);
          g_byte_array_append (out, p, needed);
        }

      offset += needed;
    }

  g_byte_array_remove_range (self->pending, 0, MIN (offset, self->pending->len));
  return ok;
}

void
viv_rfb_filter_release_all (VivRfbFilter *self,
                            GByteArray   *out)
{
  GHashTableIter iter;
  gpointer key, value;

  g_return_if_fail (self != NULL);

  if (self->state != STATE_MESSAGES)
    return;

  if (self->button_mask != 0)
    {
      guint8 message[6] = { MSG_POINTER_EVENT, 0 };

      write_u16 (message + 2, self->pointer_x);
      write_u16 (message + 4, self->pointer_y);
      g_byte_array_append (out, message, sizeof message);
      self->button_mask = 0;
    }

  g_hash_table_iter_init (&iter, self->keys);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      guint8 message[8] = { MSG_KEY_EVENT, 0 };

      write_u32 (message + 4, GPOINTER_TO_UINT (key));
      g_byte_array_append (out, message, sizeof message);
    }
  g_hash_table_remove_all (self->keys);

  g_hash_table_iter_init (&iter, self->extended_keys);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      guint8 message[12] = { MSG_QEMU, QEMU_EXTENDED_KEY_EVENT };

      write_u16 (message + 2, 0);
      write_u32 (message + 4, GPOINTER_TO_UINT (value));
      write_u32 (message + 8, GPOINTER_TO_UINT (key));
      g_byte_array_append (out, message, sizeof message);
    }
  g_hash_table_remove_all (self->extended_keys);
}
