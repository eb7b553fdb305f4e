/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Follows the client-to-server half of an RFB 3.7/3.8 stream (RFC 6143) message by
 * message, so that a proxy can drop input without breaking the stream. Only whole
 * messages come out, so a proxy may insert messages of its own between them. */
typedef struct _VivRfbFilter VivRfbFilter;

VivRfbFilter *viv_rfb_filter_new          (void);
void          viv_rfb_filter_free         (VivRfbFilter  *self);

/* Takes @length bytes the client sent and appends to @out the complete messages
 * that may go to the server: all of them, except input (keys, pointer, cut text)
 * when @allow_input is %FALSE. The ClientInit's shared flag is forced on. Fails on
 * anything whose length cannot be known (an unknown message type, a security type
 * with its own framing); the stream cannot be followed after that. */
gboolean      viv_rfb_filter_feed         (VivRfbFilter  *self,
                                           const guint8  *data,
                                           gsize          length,
                                           gboolean       allow_input,
                                           GByteArray    *out,
                                           GError       **error);

/* Appends messages that release every key and pointer button the client holds
 * down, as far as forwarded input says, and forgets them. Nothing before the
 * handshake is done. */
void          viv_rfb_filter_release_all  (VivRfbFilter  *self,
                                           GByteArray    *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VivRfbFilter, viv_rfb_filter_free)

G_END_DECLS
