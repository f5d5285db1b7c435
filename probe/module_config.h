/*
 * module_config.h - each module's narrow configuration, built from the
 * site's configuration (config.h) by main, the tests and the fuzz targets.
 */
#ifndef SKYPROBE_MODULE_CONFIG_H
#define SKYPROBE_MODULE_CONFIG_H

#include "config.h"
#include "export.h"
#include "flow_table.h"
#include "sig.h"

/* What the signature engine reads of the configuration. */
void sig_config_from(struct sig_config *sc,
		     const struct skyprobe_config *cfg);
/* The export layer's part of the configuration. */
void export_config_from(struct export_config *ec,
			const struct skyprobe_config *cfg);
/* Table size, timeouts and key of the flow table. */
void flow_table_cfg_from(struct flow_table_cfg *fc,
			 const struct skyprobe_config *cfg);

#endif
