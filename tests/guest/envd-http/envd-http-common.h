/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "viv-test-harness.h"

G_BEGIN_DECLS

/* Helpers shared by the envd HTTP tests and benchmark. */

/* A guest without a display, once it accepts connections. */
VivTestGuest *envd_test_guest_start        (void);

/* A session on the guest's socket that neither asks for nor decodes gzip by
 * itself, so the tests see exactly what the guest sends. */
SoupSession  *envd_test_session_new        (VivTestGuest        *guest);

/* "/files?path=<escaped>[&username=<escaped>]" */
char         *envd_test_files_path         (const char          *path,
                                            const char          *username);

/* A request with the guest's token (unless @token: "" sends none), extra
 * headers as NULL-terminated name/value pairs, and an optional body. */
GBytes       *envd_test_request            (SoupSession         *session,
                                            VivTestGuest        *guest,
                                            const char          *method,
                                            const char          *path,
                                            const char          *token,
                                            const char          *content_type,
                                            GBytes              *body,
                                            guint               *status,
                                            SoupMessageHeaders **response_headers,
                                            ...) G_GNUC_NULL_TERMINATED;

/* A stream of @size deterministic pseudo-random bytes, so gigabytes can be
 * sent without being held; with @hash its SHA-256 is computed as it is read. */
GInputStream *envd_test_pattern_stream_new (guint64              size,
                                            guint32              seed,
                                            gboolean             hash);
char         *envd_test_pattern_stream_get_checksum (GInputStream *stream);

/* Reads @stream to its end, returning the byte count and, with @hash, the
 * SHA-256 (else NULL). */
char         *envd_test_checksum_stream    (GInputStream        *stream,
                                            gboolean             hash,
                                            guint64             *size);

G_END_DECLS
