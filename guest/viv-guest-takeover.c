/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "viv-guest-http.h"
#include "viv-guest-private.h"

/* The longest holder name we keep; it is shown to people, not parsed. */
#define HOLDER_MAX 256

static JsonObject *
takeover_state (VivGuest *self)
{
  JsonObject *state = json_object_new ();

  json_object_set_boolean_member (state, "held", self->takeover_holder != NULL);
  if (self->takeover_holder != NULL)
    {
      g_autofree char *since = viv_format_time (self->takeover_since);

      json_object_set_string_member (state, "holder", self->takeover_holder);
      json_object_set_string_member (state, "since", since);
    }
  else
    {
      json_object_set_null_member (state, "holder");
      json_object_set_null_member (state, "since");
    }

  return state;
}

static void
set_holder (VivGuest   *self,
            const char *holder)
{
  g_autoptr (JsonObject) state = NULL;

  if (g_strcmp0 (holder, self->takeover_holder) == 0)
    return;

  g_free (self->takeover_holder);
  self->takeover_holder = g_strdup (holder);
  self->takeover_since = g_get_real_time ();

  state = takeover_state (self);
  viv_guest_emit_event (self, "takeover", state);
  g_signal_emit (self, _viv_guest_signals[VIV_GUEST_SIGNAL_TAKEOVER_CHANGED], 0);
}

gboolean
viv_guest_takeover_is_held (VivGuest *self)
{
  g_return_val_if_fail (VIV_IS_GUEST (self), FALSE);

  return self->takeover_holder != NULL;
}

const char *
viv_guest_takeover_get_holder (VivGuest *self)
{
  g_return_val_if_fail (VIV_IS_GUEST (self), NULL);

  return self->takeover_holder;
}

/**
 * viv_guest_takeover_allows:
 * @holder: (nullable): who is asking to send input
 *
 * Whether input from @holder may reach the desktop: always when nobody holds
 * the lock, and only for the holder while it is held.
 */
gboolean
viv_guest_takeover_allows (VivGuest   *self,
                           const char *holder)
{
  g_return_val_if_fail (VIV_IS_GUEST (self), FALSE);

  return self->takeover_holder == NULL || g_strcmp0 (holder, self->takeover_holder) == 0;
}

/**
 * viv_guest_check_agent_input:
 *
 * For desktop input endpoints: answers 423 Locked, saying who holds the desktop
 * and since when, and returns %FALSE while a human holds it.
 */
gboolean
viv_guest_check_agent_input (VivGuest          *self,
                             SoupServerMessage *msg)
{
  g_autoptr (JsonObject) body = NULL;
  g_autofree char *message = NULL;

  g_return_val_if_fail (VIV_IS_GUEST (self), FALSE);

  if (self->takeover_holder == NULL)
    return TRUE;

  message = g_strdup_printf ("The desktop is taken over by %s; wait until it is handed back",
                             self->takeover_holder);
  body = takeover_state (self);
  json_object_set_int_member (body, "code", SOUP_STATUS_LOCKED);
  json_object_set_string_member (body, "message", message);
  viv_http_reply_object (msg, SOUP_STATUS_LOCKED, body);
  return FALSE;
}

static void
get_takeover_cb (VivGuest          *self,
                 SoupServerMessage *msg,
                 const char        *tail,
                 GHashTable        *query,
                 gpointer           user_data)
{
  g_autoptr (JsonObject) state = takeover_state (self);

  viv_http_reply_object (msg, SOUP_STATUS_OK, state);
}

static void
acquire_takeover_cb (VivGuest          *self,
                     SoupServerMessage *msg,
                     const char        *tail,
                     GHashTable        *query,
                     gpointer           user_data)
{
  g_autoptr (JsonObject) request = NULL;
  g_autoptr (JsonObject) state = NULL;
  g_autoptr (GError) error = NULL;
  const char *holder = NULL;

  if (!(request = viv_http_read_json_object (msg, &error)) ||
      !viv_json_get_string (request, "holder", TRUE, &holder, &error))
    {
      viv_http_reply_gerror (msg, error);
      return;
    }

  if (*holder == '\0' || strlen (holder) > HOLDER_MAX)
    {
      viv_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                            "“holder” must be 1 to %d bytes long", HOLDER_MAX);
      return;
    }

  if (self->takeover_holder != NULL && strcmp (self->takeover_holder, holder) != 0)
    {
      g_autofree char *message = g_strdup_printf ("The desktop is already taken over by %s",
                                                  self->takeover_holder);

      state = takeover_state (self);
      json_object_set_int_member (state, "code", SOUP_STATUS_CONFLICT);
      json_object_set_string_member (state, "message", message);
      viv_http_reply_object (msg, SOUP_STATUS_CONFLICT, state);
      return;
    }

  set_holder (self, holder);
  state = takeover_state (self);
  viv_http_reply_object (msg, SOUP_STATUS_OK, state);
}

static void
release_takeover_cb (VivGuest          *self,
                     SoupServerMessage *msg,
                     const char        *tail,
                     GHashTable        *query,
                     gpointer           user_data)
{
  g_autoptr (JsonObject) state = NULL;
  const char *holder = query ? g_hash_table_lookup (query, "holder") : NULL;

  /* With ?holder=, only that holder's lock is released, so a late release from
   * a previous holder cannot end someone else's takeover. */
  if (holder != NULL && self->takeover_holder != NULL &&
      strcmp (holder, self->takeover_holder) != 0)
    {
      viv_http_reply_error (msg, SOUP_STATUS_CONFLICT,
                            "The desktop is held by %s, not %s", self->takeover_holder, holder);
      return;
    }

  set_holder (self, NULL);
  state = takeover_state (self);
  viv_http_reply_object (msg, SOUP_STATUS_OK, state);
}

void
_viv_guest_takeover_init (VivGuest *self)
{
  viv_guest_add_route (self, "GET", "/desktop/takeover", 0, get_takeover_cb, NULL);
  viv_guest_add_route (self, "POST", "/desktop/takeover", 0, acquire_takeover_cb, NULL);
  viv_guest_add_route (self, "DELETE", "/desktop/takeover", 0, release_takeover_cb, NULL);
}
