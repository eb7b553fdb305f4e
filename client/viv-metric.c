/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "vivarium.h"
#include "viv-client-private.h"
#include "viv-json-private.h"

G_DEFINE_BOXED_TYPE (VivMetric, viv_metric, viv_metric_copy, viv_metric_free)
G_DEFINE_BOXED_TYPE (VivLogEntry, viv_log_entry, viv_log_entry_copy, viv_log_entry_free)

/**
 * viv_metric_copy:
 *
 * Returns: (transfer full): a copy
 */
VivMetric *
viv_metric_copy (const VivMetric *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return g_memdup2 (self, sizeof *self);
}

/**
 * viv_metric_free:
 *
 * Frees the sample.
 */
void
viv_metric_free (VivMetric *self)
{
  g_free (self);
}

/**
 * viv_log_entry_copy:
 *
 * Returns: (transfer full): a copy
 */
VivLogEntry *
viv_log_entry_copy (const VivLogEntry *self)
{
  VivLogEntry *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_new0 (VivLogEntry, 1);
  copy->timestamp = self->timestamp ? g_date_time_ref (self->timestamp) : NULL;
  copy->level = g_strdup (self->level);
  copy->message = g_strdup (self->message);
  return copy;
}

/**
 * viv_log_entry_free:
 *
 * Frees the entry.
 */
void
viv_log_entry_free (VivLogEntry *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->timestamp, g_date_time_unref);
  g_free (self->level);
  g_free (self->message);
  g_free (self);
}

VivMetric *
_viv_metric_new_from_json (JsonObject  *object,
                           GError     **error)
{
  g_autoptr (VivMetric) self = g_new0 (VivMetric, 1);
  gint64 cpu_count = 0;

  if (!_viv_json_get_int (object, "timestampUnix", TRUE, &self->timestamp_unix, error) ||
      !_viv_json_get_int (object, "cpuCount", TRUE, &cpu_count, error) ||
      !_viv_json_get_double (object, "cpuUsedPct", TRUE, &self->cpu_used_pct, error) ||
      !_viv_json_get_int (object, "memUsed", TRUE, &self->mem_used, error) ||
      !_viv_json_get_int (object, "memTotal", TRUE, &self->mem_total, error) ||
      !_viv_json_get_int (object, "memCache", FALSE, &self->mem_cache, error) ||
      !_viv_json_get_int (object, "diskUsed", FALSE, &self->disk_used, error) ||
      !_viv_json_get_int (object, "diskTotal", FALSE, &self->disk_total, error))
    return NULL;

  self->cpu_count = (int) CLAMP (cpu_count, 0, G_MAXINT);
  return g_steal_pointer (&self);
}

VivLogEntry *
_viv_log_entry_new_from_json (JsonObject  *object,
                              GError     **error)
{
  g_autoptr (VivLogEntry) self = g_new0 (VivLogEntry, 1);
  const char *level = NULL;
  const char *message = NULL;

  if (!_viv_json_get_time (object, "timestamp", FALSE, &self->timestamp, error) ||
      !_viv_json_get_string (object, "level", FALSE, &level, error) ||
      !_viv_json_get_string (object, "message", TRUE, &message, error))
    return NULL;

  self->level = g_strdup (level);
  self->message = g_strdup (message);
  return g_steal_pointer (&self);
}
