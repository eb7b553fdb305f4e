/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "viv-guest-http.h"
#include "viv-guest-private.h"

/* How many past events a new subscriber can replay (Last-Event-ID or ?since=). */
#define RECENT_EVENTS_MAX 1000
/* Comment lines keep idle streams alive through proxies. */
#define KEEPALIVE_SECONDS 15

static void
write_to_subscriber (SoupServerMessage *msg,
                     const char        *text)
{
  SoupMessageBody *body = soup_server_message_get_response_body (msg);

  soup_message_body_append (body, SOUP_MEMORY_COPY, text, strlen (text));
  soup_server_message_unpause (msg);
}

static char *
format_sse (guint64     id,
            const char *type,
            const char *json)
{
  return g_strdup_printf ("id: %" G_GUINT64_FORMAT "\nevent: %s\ndata: %s\n\n", id, type, json);
}

/**
 * viv_guest_emit_event:
 * @type: "action", "takeover", "focus", "display", ...
 * @data: (nullable): the event's own members
 *
 * Publishes an event to every subscriber of GET /desktop/events and to the
 * "event" signal, adding "id", "type" and "time" (members of @data by those
 * names are replaced).
 */
void
viv_guest_emit_event (VivGuest   *self,
                      const char *type,
                      JsonObject *data)
{
  g_autoptr (JsonObject) event = json_object_new ();
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *time = viv_format_time (g_get_real_time ());
  g_autofree char *json = NULL;
  g_autofree char *sse = NULL;
  guint64 id;

  g_return_if_fail (VIV_IS_GUEST (self));
  g_return_if_fail (type != NULL);

  if (data != NULL)
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;

      json_object_iter_init (&iter, data);
      while (json_object_iter_next (&iter, &name, &member))
        json_object_set_member (event, name, json_node_copy (member));
    }

  /* Set last: an event's own members never replace the stream's fields. */
  id = ++self->next_event_id;
  json_object_set_int_member (event, "id", (gint64) id);
  json_object_set_string_member (event, "type", type);
  json_object_set_string_member (event, "time", time);

  json_node_set_object (node, event);
  json = json_to_string (node, FALSE);
  sse = format_sse (id, type, json);

  g_queue_push_tail (&self->recent_events, g_strdup (sse));
  while (self->recent_events.length > RECENT_EVENTS_MAX)
    g_free (g_queue_pop_head (&self->recent_events));

  for (guint i = 0; i < self->subscribers->len; i++)
    write_to_subscriber (g_ptr_array_index (self->subscribers, i), sse);

  g_signal_emit (self, _viv_guest_signals[VIV_GUEST_SIGNAL_EVENT],
                 g_quark_from_string (type), type, event);
}

static guint64
parse_event_id (const char *text)
{
  guint64 value = 0;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT64, &value, NULL))
    return 0;

  return value;
}

static void
subscriber_finished_cb (SoupServerMessage *msg,
                        gpointer           user_data)
{
  VivGuest *self = user_data;

  g_ptr_array_remove (self->subscribers, msg);
}

static void
events_cb (VivGuest          *self,
           SoupServerMessage *msg,
           const char        *tail,
           GHashTable        *query,
           gpointer           user_data)
{
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response_headers = soup_server_message_get_response_headers (msg);
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  const char *since_text;
  guint64 since;

  /* Replay what the client missed: EventSource resends the last id it saw. */
  since_text = soup_message_headers_get_one (request_headers, "Last-Event-ID");
  if (since_text == NULL && query != NULL)
    since_text = g_hash_table_lookup (query, "since");
  since = parse_event_id (since_text);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (response_headers, "text/event-stream", NULL);
  soup_message_headers_replace (response_headers, "Cache-Control", "no-cache");
  soup_message_headers_set_encoding (response_headers, SOUP_ENCODING_CHUNKED);
  soup_message_body_set_accumulate (body, FALSE);

  /* A first comment makes the headers go out at once. */
  soup_message_body_append (body, SOUP_MEMORY_STATIC, ": vivarium-guest events\n\n", 25);

  if (since_text != NULL)
    {
      for (GList *l = self->recent_events.head; l != NULL; l = l->next)
        {
          const char *sse = l->data;

          if (g_ascii_strtoull (sse + strlen ("id: "), NULL, 10) > since)
            soup_message_body_append (body, SOUP_MEMORY_COPY, sse, strlen (sse));
        }
    }

  g_ptr_array_add (self->subscribers, msg);
  g_signal_connect_object (msg, "finished", G_CALLBACK (subscriber_finished_cb), self, 0);
}

static gboolean
keepalive_cb (gpointer user_data)
{
  VivGuest *self = user_data;

  for (guint i = 0; i < self->subscribers->len; i++)
    write_to_subscriber (g_ptr_array_index (self->subscribers, i), ": keepalive\n\n");

  return G_SOURCE_CONTINUE;
}

void
_viv_guest_events_init (VivGuest *self)
{
  g_queue_init (&self->recent_events);
  self->subscribers = g_ptr_array_new ();
  self->keepalive_source = g_timeout_add_seconds (KEEPALIVE_SECONDS, keepalive_cb, self);

  viv_guest_add_route (self, "GET", "/desktop/events", 0, events_cb, NULL);
}

void
_viv_guest_events_finalize (VivGuest *self)
{
  g_clear_handle_id (&self->keepalive_source, g_source_remove);
  g_queue_clear_full (&self->recent_events, g_free);
  g_clear_pointer (&self->subscribers, g_ptr_array_unref);
}
