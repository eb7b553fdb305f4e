/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Encodes 8-bit RGB pixels given as B, G, R, X (@bytes_per_pixel 4) or
 * R, G, B (3) as a PNG; NULL if compression failed. */
GBytes *viv_png_encode (const guint8 *pixels,
                        int           width,
                        int           height,
                        gsize         stride,
                        int           bytes_per_pixel);

G_END_DECLS
