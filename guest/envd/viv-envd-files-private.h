/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "viv-envd-state.h"

G_BEGIN_DECLS

/* envd's GET and POST /files (shared/spec/e2b-wire.md §2.2), split over
 * viv-envd-files-download.c, viv-envd-files-upload.c, the streaming multipart
 * parser and the signed-URL check. */

/* Who may touch /files: the X-Access-Token header, or a signature made with the
 * token for this @operation ("read" or "write"), path and user (§2.1). Fails
 * with VIV_HTTP_ERROR 401. */
gboolean  _viv_envd_files_authorize       (VivGuest           *guest,
                                           SoupServerMessage  *msg,
                                           GHashTable         *query,
                                           const char         *operation,
                                           GError            **error);

/* "v1_" + base64 without padding of sha256 ("<path>:<operation>:<user>:<token>[:<expiration>]");
 * @expiration <= 0 means none. */
char     *_viv_envd_files_signature       (const char         *path,
                                           const char         *operation,
                                           const char         *username,
                                           const char         *token,
                                           gint64              expiration);

/* The query of a request as a table, for code that runs before the route
 * handler (which gets it from the core). */
GHashTable *_viv_envd_files_query         (SoupServerMessage  *msg);

void      _viv_envd_files_download_register (VivGuest         *guest);
void      _viv_envd_files_upload_register   (VivGuest         *guest);

/* A multipart/form-data parser fed with chunks as they arrive, so a body of any
 * size needs only a few bytes of look-behind to find boundaries across chunk
 * edges (RFC 2046 §5.1.1). */
typedef struct _VivMultipartParser VivMultipartParser;

typedef struct
{
  /* A part starts, with its headers. */
  gboolean (*part_begin) (gpointer             user_data,
                          SoupMessageHeaders  *headers,
                          GError             **error);
  gboolean (*part_data)  (gpointer             user_data,
                          const guint8        *data,
                          gsize                length,
                          GError             **error);
  gboolean (*part_end)   (gpointer             user_data,
                          GError             **error);
} VivMultipartCallbacks;

VivMultipartParser *_viv_multipart_parser_new    (const char                  *boundary,
                                                  const VivMultipartCallbacks *callbacks,
                                                  gpointer                     user_data);
gboolean            _viv_multipart_parser_feed   (VivMultipartParser          *parser,
                                                  const guint8                *data,
                                                  gsize                        length,
                                                  GError                     **error);
/* The body ended: fails unless the closing boundary was seen. */
gboolean            _viv_multipart_parser_finish (VivMultipartParser          *parser,
                                                  GError                     **error);
void                _viv_multipart_parser_free   (VivMultipartParser          *parser);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VivMultipartParser, _viv_multipart_parser_free)

G_END_DECLS
