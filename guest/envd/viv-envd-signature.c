/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "viv-guest-http.h"
#include "viv-envd-files-private.h"

char *
_viv_envd_files_signature (const char *path,
                           const char *operation,
                           const char *username,
                           const char *token,
                           gint64      expiration)
{
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *raw = NULL;
  g_autofree char *encoded = NULL;
  guint8 digest[32];
  gsize digest_length = sizeof digest;
  gsize length;

  if (expiration > 0)
    raw = g_strdup_printf ("%s:%s:%s:%s:%" G_GINT64_FORMAT, path, operation,
                           username ? username : "", token, expiration);
  else
    raw = g_strdup_printf ("%s:%s:%s:%s", path, operation, username ? username : "", token);

  g_checksum_update (checksum, (const guchar *) raw, -1);
  g_checksum_get_digest (checksum, digest, &digest_length);
  /* The SDKs strip the padding (src/sandbox/signature.ts). */
  encoded = g_base64_encode (digest, digest_length);
  length = strlen (encoded);
  while (length > 0 && encoded[length - 1] == '=')
    encoded[--length] = '\0';

  /* The raw string holds the token. */
  memset (raw, 0, strlen (raw));

  return g_strconcat ("v1_", encoded, NULL);
}

static gboolean
equal_constant_time (const char *a,
                     const char *b)
{
  gsize length_a = strlen (a), length_b = strlen (b);
  guint8 diff = length_a != length_b;

  for (gsize i = 0; i < length_a; i++)
    diff |= (guint8) a[i] ^ (guint8) b[i % MAX (length_b, 1)];

  return diff == 0;
}

GHashTable *
_viv_envd_files_query (SoupServerMessage *msg)
{
  const char *query = g_uri_get_query (soup_server_message_get_uri (msg));

  if (query == NULL)
    return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  return soup_form_decode (query);
}

gboolean
_viv_envd_files_authorize (VivGuest           *guest,
                           SoupServerMessage  *msg,
                           GHashTable         *query,
                           const char         *operation,
                           GError            **error)
{
  const char *token = viv_guest_get_access_token (guest);
  const char *signature = query ? g_hash_table_lookup (query, "signature") : NULL;
  const char *expiration_text;
  const char *path;
  g_autofree char *given = NULL;
  g_autofree char *expected = NULL;
  gint64 expiration = 0;

  if (token == NULL || viv_guest_check_access_token (guest, msg))
    return TRUE;

  if (signature == NULL)
    {
      g_set_error_literal (error, VIV_HTTP_ERROR, SOUP_STATUS_UNAUTHORIZED,
                           "A valid X-Access-Token header or signature is required");
      return FALSE;
    }

  path = g_hash_table_lookup (query, "path");
  if (path == NULL)
    {
      g_set_error_literal (error, VIV_HTTP_ERROR, SOUP_STATUS_UNAUTHORIZED,
                           "A signed URL must name its path");
      return FALSE;
    }

  expiration_text = g_hash_table_lookup (query, "signature_expiration");
  if (expiration_text != NULL && *expiration_text != '\0')
    {
      if (!g_ascii_string_to_signed (expiration_text, 10, 1, G_MAXINT64, &expiration, NULL))
        {
          g_set_error_literal (error, VIV_HTTP_ERROR, SOUP_STATUS_UNAUTHORIZED,
                               "The signature expiration is not a Unix time");
          return FALSE;
        }
      if (expiration < g_get_real_time () / G_USEC_PER_SEC)
        {
          g_set_error_literal (error, VIV_HTTP_ERROR, SOUP_STATUS_UNAUTHORIZED,
                               "The signature has expired");
          return FALSE;
        }
    }

  /* A form decoder turns an unescaped '+' of the base64 into a space. */
  given = g_strdup (signature);
  g_strdelimit (given, " ", '+');
  expected = _viv_envd_files_signature (path, operation, g_hash_table_lookup (query, "username"),
                                        token, expiration);
  if (!equal_constant_time (given, expected))
    {
      g_set_error_literal (error, VIV_HTTP_ERROR, SOUP_STATUS_UNAUTHORIZED,
                           "The signature does not match");
      return FALSE;
    }

  return TRUE;
}
