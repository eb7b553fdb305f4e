/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <zlib.h>

#include "viv-desktop-png.h"

/* A PNG encoder for screenshots, built for speed rather than size: every row
 * gets the SUB filter (flat screen areas become runs of zeros), fused with the
 * BGRX to RGB conversion; the rows are split into bands that are deflated in
 * parallel at the fastest level and joined into one zlib stream, as pigz does
 * (each band but the last ends on a byte boundary with Z_SYNC_FLUSH, and the
 * Adler-32 checksums are combined). */

/* Bands smaller than this are not worth a thread. */
#define MIN_BAND_ROWS 64
#define MAX_BANDS 8

typedef struct
{
  const guint8 *pixels;
  gsize         stride;
  int           bytes_per_pixel;  /* 4: B, G, R, X; 3: R, G, B */
  int           width;
  int           first_row;
  int           n_rows;
  gboolean      last;

  GByteArray   *output;           /* raw deflate data */
  uLong         adler;            /* of the filtered rows */
  uLong         length;
  gboolean      failed;
} Band;

static void
filter_row (const Band *band,
            const guint8 *in,
            guint8       *out)
{
  guint8 previous[3] = { 0, 0, 0 };

  *out++ = 1;  /* SUB */

  if (band->bytes_per_pixel == 4)
    {
      for (int x = 0; x < band->width; x++, in += 4)
        {
          guint8 r = in[2], g = in[1], b = in[0];

          *out++ = r - previous[0];
          *out++ = g - previous[1];
          *out++ = b - previous[2];
          previous[0] = r;
          previous[1] = g;
          previous[2] = b;
        }
    }
  else
    {
      for (int x = 0; x < band->width; x++, in += 3)
        {
          *out++ = in[0] - previous[0];
          *out++ = in[1] - previous[1];
          *out++ = in[2] - previous[2];
          previous[0] = in[0];
          previous[1] = in[1];
          previous[2] = in[2];
        }
    }
}

static gpointer
deflate_band (gpointer data)
{
  Band *band = data;
  gsize row_size = 1 + (gsize) band->width * 3;
  g_autofree guint8 *row = g_malloc (row_size);
  z_stream stream = { 0 };
  guint8 chunk[64 * 1024];

  band->output = g_byte_array_sized_new (row_size * band->n_rows / 8 + 1024);
  band->adler = adler32 (0, NULL, 0);

  /* Raw deflate: the zlib header and checksum are written once, around all bands. */
  if (deflateInit2 (&stream, 1, Z_DEFLATED, -15, 8, Z_RLE) != Z_OK)
    {
      band->failed = TRUE;
      return NULL;
    }

  for (int i = 0; i < band->n_rows; i++)
    {
      gboolean last_row = i == band->n_rows - 1;
      int flush = last_row ? (band->last ? Z_FINISH : Z_SYNC_FLUSH) : Z_NO_FLUSH;

      filter_row (band, band->pixels + (gsize) (band->first_row + i) * band->stride, row);
      band->adler = adler32 (band->adler, row, row_size);
      band->length += row_size;

      stream.next_in = row;
      stream.avail_in = row_size;
      do
        {
          stream.next_out = chunk;
          stream.avail_out = sizeof chunk;
          if (deflate (&stream, flush) == Z_STREAM_ERROR)
            {
              band->failed = TRUE;
              break;
            }
          g_byte_array_append (band->output, chunk, sizeof chunk - stream.avail_out);
        }
      while (stream.avail_out == 0);
    }

  deflateEnd (&stream);
  return NULL;
}

static void
put_uint32 (GByteArray *array,
            guint32     value)
{
  guint8 bytes[4] = { value >> 24, value >> 16, value >> 8, value };

  g_byte_array_append (array, bytes, 4);
}

/* Appends a chunk: length, type, data, CRC of type and data. */
static void
put_chunk (GByteArray   *png,
           const char   *type,
           const guint8 *data,
           gsize         length)
{
  uLong crc = crc32 (0, (const Bytef *) type, 4);

  if (length > 0)
    crc = crc32 (crc, data, length);

  put_uint32 (png, length);
  g_byte_array_append (png, (const guint8 *) type, 4);
  if (length > 0)
    g_byte_array_append (png, data, length);
  put_uint32 (png, crc);
}

GBytes *
viv_png_encode (const guint8 *pixels,
                int           width,
                int           height,
                gsize         stride,
                int           bytes_per_pixel)
{
  static const guint8 signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  Band bands[MAX_BANDS] = { 0 };
  GThread *threads[MAX_BANDS] = { NULL };
  g_autoptr (GByteArray) png = NULL;
  g_autoptr (GByteArray) idat = NULL;
  guint8 header[13];
  int n_bands, rows_per_band;
  uLong adler;

  g_return_val_if_fail (bytes_per_pixel == 3 || bytes_per_pixel == 4, NULL);
  g_return_val_if_fail (width > 0 && height > 0, NULL);

  n_bands = CLAMP (height / MIN_BAND_ROWS, 1, MIN ((int) g_get_num_processors (), MAX_BANDS));
  rows_per_band = (height + n_bands - 1) / n_bands;

  for (int i = 0; i < n_bands; i++)
    {
      bands[i].pixels = pixels;
      bands[i].stride = stride;
      bands[i].bytes_per_pixel = bytes_per_pixel;
      bands[i].width = width;
      bands[i].first_row = i * rows_per_band;
      bands[i].n_rows = MIN (rows_per_band, height - bands[i].first_row);
      bands[i].last = i == n_bands - 1;
    }

  /* This thread takes the first band. */
  for (int i = 1; i < n_bands; i++)
    threads[i] = g_thread_new ("viv-png", deflate_band, &bands[i]);
  deflate_band (&bands[0]);
  for (int i = 1; i < n_bands; i++)
    g_thread_join (threads[i]);

  idat = g_byte_array_sized_new (64 * 1024);
  /* zlib header: deflate, 32K window, fastest compression; check bits. */
  g_byte_array_append (idat, (const guint8 *) "\x78\x01", 2);
  adler = adler32 (0, NULL, 0);
  for (int i = 0; i < n_bands; i++)
    {
      if (!bands[i].failed)
        g_byte_array_append (idat, bands[i].output->data, bands[i].output->len);
      adler = adler32_combine (adler, bands[i].adler, bands[i].length);
    }
  put_uint32 (idat, adler);

  for (int i = 0; i < n_bands; i++)
    {
      gboolean failed = bands[i].failed;

      g_byte_array_unref (bands[i].output);
      if (failed)
        return NULL;
    }

  png = g_byte_array_sized_new (idat->len + 64);
  g_byte_array_append (png, signature, sizeof signature);

  header[0] = width >> 24; header[1] = width >> 16; header[2] = width >> 8; header[3] = width;
  header[4] = height >> 24; header[5] = height >> 16; header[6] = height >> 8; header[7] = height;
  header[8] = 8;    /* bits per channel */
  header[9] = 2;    /* RGB */
  header[10] = 0;   /* deflate */
  header[11] = 0;   /* adaptive filtering */
  header[12] = 0;   /* not interlaced */
  put_chunk (png, "IHDR", header, sizeof header);
  put_chunk (png, "IDAT", idat->data, idat->len);
  put_chunk (png, "IEND", NULL, 0);

  return g_byte_array_free_to_bytes (g_steal_pointer (&png));
}
