/* SPDX-License-Identifier: GPL-3.0-or-later */
/* memmem, O_TMPFILE */
#define _GNU_SOURCE
#include "config.h"

#include <string.h>

#include "viv-guest-http.h"
#include "viv-envd-files-private.h"

/* Part headers are a few lines; anything bigger is not a form. */
#define MAX_PART_HEADERS (16 * 1024)

typedef enum
{
  STATE_PREAMBLE,
  STATE_AFTER_DELIMITER,
  STATE_HEADERS,
  STATE_BODY,
  STATE_EPILOGUE,
} ParserState;

struct _VivMultipartParser
{
  VivMultipartCallbacks  callbacks;
  gpointer               user_data;
  char                  *delimiter;        /* "\r\n--" boundary */
  gsize                  delimiter_length;
  GByteArray            *pending;          /* bytes not yet handed on */
  ParserState            state;
};

VivMultipartParser *
_viv_multipart_parser_new (const char                  *boundary,
                           const VivMultipartCallbacks *callbacks,
                           gpointer                     user_data)
{
  VivMultipartParser *parser = g_new0 (VivMultipartParser, 1);

  parser->callbacks = *callbacks;
  parser->user_data = user_data;
  parser->delimiter = g_strconcat ("\r\n--", boundary, NULL);
  parser->delimiter_length = strlen (parser->delimiter);
  parser->pending = g_byte_array_new ();
  /* The first delimiter may open the body without a line break before it;
   * a virtual one lets one search find every delimiter. */
  g_byte_array_append (parser->pending, (const guint8 *) "\r\n", 2);
  parser->state = STATE_PREAMBLE;

  return parser;
}

void
_viv_multipart_parser_free (VivMultipartParser *parser)
{
  if (parser == NULL)
    return;

  g_byte_array_unref (parser->pending);
  g_free (parser->delimiter);
  g_free (parser);
}

static void
consume (VivMultipartParser *parser,
         gsize               length)
{
  g_byte_array_remove_range (parser->pending, 0, length);
}

static SoupMessageHeaders *
parse_part_headers (const char *text,
                    gsize       length)
{
  SoupMessageHeaders *headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_MULTIPART);
  g_autofree char *copy = g_strndup (text, length);
  g_auto (GStrv) lines = g_strsplit (copy, "\r\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *colon = strchr (lines[i], ':');
      g_autofree char *name = NULL;

      if (colon == NULL || colon == lines[i])
        continue;

      name = g_strndup (lines[i], colon - lines[i]);
      soup_message_headers_append (headers, g_strstrip (name), g_strstrip (colon + 1));
    }

  return headers;
}

static gboolean
run (VivMultipartParser  *parser,
     GError             **error)
{
  for (;;)
    {
      guint8 *data = parser->pending->data;
      gsize length = parser->pending->len;
      const guint8 *found;

      switch (parser->state)
        {
        case STATE_PREAMBLE:
          found = memmem (data, length, parser->delimiter, parser->delimiter_length);
          if (found == NULL)
            {
              /* Keep what could be the start of a delimiter cut by the chunk edge. */
              if (length >= parser->delimiter_length)
                consume (parser, length - (parser->delimiter_length - 1));
              return TRUE;
            }
          consume (parser, (found - data) + parser->delimiter_length);
          parser->state = STATE_AFTER_DELIMITER;
          break;

        case STATE_AFTER_DELIMITER:
          if (length < 2)
            return TRUE;
          if (data[0] == '-' && data[1] == '-')
            {
              parser->state = STATE_EPILOGUE;
              break;
            }
          /* Transport padding may follow the boundary before its line break. */
          found = memmem (data, length, "\r\n", 2);
          if (found == NULL)
            {
              if (length > 1024)
                goto malformed;
              return TRUE;
            }
          consume (parser, (found - data) + 2);
          parser->state = STATE_HEADERS;
          break;

        case STATE_HEADERS:
          {
            g_autoptr (SoupMessageHeaders) headers = NULL;
            gsize block;

            if (length >= 2 && data[0] == '\r' && data[1] == '\n')
              {
                block = 0;
                found = data;
              }
            else
              {
                found = memmem (data, length, "\r\n\r\n", 4);
                if (found == NULL)
                  {
                    if (length > MAX_PART_HEADERS)
                      {
                        g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
                                     "A multipart part has more than %d bytes of headers",
                                     MAX_PART_HEADERS);
                        return FALSE;
                      }
                    return TRUE;
                  }
                block = found - data;
                found += 2;
              }

            headers = parse_part_headers ((const char *) data, block);
            consume (parser, (found - data) + 2);
            parser->state = STATE_BODY;
            if (!parser->callbacks.part_begin (parser->user_data, headers, error))
              return FALSE;
          }
          break;

        case STATE_BODY:
          found = memmem (data, length, parser->delimiter, parser->delimiter_length);
          if (found == NULL)
            {
              gsize keep = parser->delimiter_length - 1;

              if (length > keep)
                {
                  if (!parser->callbacks.part_data (parser->user_data, data, length - keep, error))
                    return FALSE;
                  consume (parser, length - keep);
                }
              return TRUE;
            }
          if (found > data &&
              !parser->callbacks.part_data (parser->user_data, data, found - data, error))
            return FALSE;
          consume (parser, (found - data) + parser->delimiter_length);
          parser->state = STATE_AFTER_DELIMITER;
          if (!parser->callbacks.part_end (parser->user_data, error))
            return FALSE;
          break;

        case STATE_EPILOGUE:
          g_byte_array_set_size (parser->pending, 0);
          return TRUE;

        default:
          g_assert_not_reached ();
        }
    }

malformed:
  g_set_error_literal (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
                       "The multipart body is malformed");
  return FALSE;
}

gboolean
_viv_multipart_parser_feed (VivMultipartParser  *parser,
                            const guint8        *data,
                            gsize                length,
                            GError             **error)
{
  g_byte_array_append (parser->pending, data, length);
  return run (parser, error);
}

gboolean
_viv_multipart_parser_finish (VivMultipartParser  *parser,
                              GError             **error)
{
  if (parser->state != STATE_EPILOGUE)
    {
      g_set_error_literal (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
                           "The multipart body ends before its closing boundary");
      return FALSE;
    }

  return TRUE;
}
