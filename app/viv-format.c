/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "viv-format.h"

/* Short, human durations: "45 s", "12 min", "3 h 20 min", "2 d". */
char *
viv_format_duration (GTimeSpan span)
{
  gint64 seconds = MAX (0, span / G_TIME_SPAN_SECOND);

  if (seconds < 60)
    /* Translators: a duration in seconds */
    return g_strdup_printf (_("%d s"), (int) seconds);
  if (seconds < 3600)
    /* Translators: a duration in minutes */
    return g_strdup_printf (_("%d min"), (int) (seconds / 60));
  if (seconds < 86400)
    /* Translators: a duration in hours and minutes */
    return g_strdup_printf (_("%d h %d min"), (int) (seconds / 3600), (int) (seconds % 3600 / 60));
  /* Translators: a duration in days */
  return g_strdup_printf (_("%d d"), (int) (seconds / 86400));
}

char *
viv_format_age (VivSandbox *sandbox)
{
  GDateTime *started_at = viv_sandbox_get_started_at (sandbox);
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *duration = NULL;

  if (started_at == NULL)
    return NULL;
  duration = viv_format_duration (g_date_time_difference (now, started_at));
  /* Translators: %s is a duration such as "12 min" */
  return g_strdup_printf (_("Started %s ago"), duration);
}

char *
viv_format_time_left (VivSandbox *sandbox)
{
  GDateTime *end_at = viv_sandbox_get_end_at (sandbox);
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *duration = NULL;
  GTimeSpan left;

  if (end_at == NULL)
    return NULL;
  left = g_date_time_difference (end_at, now);
  if (viv_sandbox_get_state (sandbox) == VIV_SANDBOX_STATE_PAUSED)
    return g_strdup (_("Timer stopped"));
  if (left <= 0)
    return g_strdup (_("Ending now"));
  duration = viv_format_duration (left);
  /* Translators: %s is a duration such as "12 min" */
  return g_strdup_printf (_("%s left"), duration);
}

const char *
viv_format_state (VivSandboxState state)
{
  switch (state)
    {
    case VIV_SANDBOX_STATE_RUNNING:
      return _("Running");
    case VIV_SANDBOX_STATE_PAUSED:
      return _("Paused");
    case VIV_SANDBOX_STATE_KILLED:
      return _("Killed");
    case VIV_SANDBOX_STATE_UNKNOWN:
    default:
      return _("Unknown");
    }
}

const char *
viv_format_state_css (VivSandboxState state)
{
  switch (state)
    {
    case VIV_SANDBOX_STATE_RUNNING:
      return "running";
    case VIV_SANDBOX_STATE_PAUSED:
      return "paused";
    case VIV_SANDBOX_STATE_KILLED:
      return "killed";
    case VIV_SANDBOX_STATE_UNKNOWN:
    default:
      return "unknown";
    }
}

/* "desktop · Local host" */
char *
viv_format_details (VivSandbox *sandbox)
{
  VivAccount *account = viv_client_get_account (viv_sandbox_get_client (sandbox));
  const char *template_id = viv_sandbox_get_alias (sandbox);

  if (template_id == NULL || *template_id == '\0')
    template_id = viv_sandbox_get_template_id (sandbox);

  return g_strdup_printf ("%s · %s", template_id ? template_id : _("No template"),
                          viv_account_get_display_name (account));
}
