/**
 * The reviewed part of SQL function classification: what the catalogs cannot say.
 *
 * PostgreSQL's own catalog (sql-catalog-postgres.ts, from `pg_proc`) marks every built-in
 * immutable, stable or volatile. Immutable and stable ones are reads; a volatile one is classified
 * here, by what it touches, and a volatile one missing from this list is `exec` (unknown). A few
 * stable functions run SQL that the facet cannot see (`database_to_xml` reads every table) and are
 * overridden here too. SQLite's catalog (sql-catalog-sqlite.ts, from `PRAGMA function_list`) marks
 * functions deterministic or not; the same rules apply. MySQL has no catalog of native functions,
 * so its list is the MySQL 8.4 Reference Manual's "Built-In Function and Operator Reference"
 * (section 14.1) plus MariaDB's additions from the MariaDB Server documentation's "Built-in
 * Functions" index, all reads except those reviewed here.
 *
 * Each entry: class and the reason a person reading a decision sees.
 */
import type { SqlClass } from './sql-classify.js';

/** [class, reason] of a reviewed function. */
export type Reviewed = readonly [SqlClass, string];

function group(cls: SqlClass, reason: string, names: string): Array<[string, Reviewed]> {
  return names
    .split(/\s+/)
    .filter((n) => n !== '')
    .map((n) => [n, [cls, reason] as const]);
}

/**
 * PostgreSQL built-ins (pg_catalog) and the contrib extensions' functions, by name. Applies to the
 * names the catalog holds; overrides the catalog's volatility.
 */
export const PG_REVIEWED: ReadonlyMap<string, Reviewed> = new Map([
  ...group('read', 'reads the clock, a random source or session state', 'clock_timestamp timeofday random gen_random_uuid currval lastval pg_sequence_last_value current_query pg_export_snapshot'),
  ...group(
    'read',
    'reports server, lock, size or statistics state',
    `pg_blocking_pids pg_safe_snapshot_blocking_pids pg_isolation_test_session_is_blocked pg_collation_actual_version
    pg_database_collation_actual_version pg_database_size pg_relation_size pg_table_size pg_indexes_size pg_total_relation_size
    pg_tablespace_size pg_is_in_recovery pg_is_wal_replay_paused pg_get_wal_replay_pause_state pg_jit_available
    pg_last_committed_xact pg_last_wal_receive_lsn pg_last_wal_replay_lsn pg_last_xact_replay_timestamp pg_current_wal_flush_lsn
    pg_current_wal_insert_lsn pg_current_wal_lsn pg_lock_status pg_notification_queue_usage pg_partition_ancestors pg_partition_tree
    pg_prepared_xact pg_xact_commit_timestamp pg_xact_commit_timestamp_origin pg_xact_status txid_status pg_stat_have_stats
    pg_stat_get_recovery_prefetch pg_stat_clear_snapshot pg_stat_force_next_flush pg_get_backend_memory_contexts pg_get_shmem_allocations
    pg_get_multixact_members pg_get_wal_resource_managers pg_control_checkpoint pg_control_init pg_control_recovery pg_control_system
    pg_replication_origin_progress pg_replication_origin_session_is_setup pg_replication_origin_session_progress
    pg_show_replication_origin_status pg_stat_get_xact_blocks_fetched pg_stat_get_xact_blocks_hit pg_stat_get_xact_function_calls
    pg_stat_get_xact_function_self_time pg_stat_get_xact_function_total_time pg_stat_get_xact_numscans pg_stat_get_xact_tuples_deleted
    pg_stat_get_xact_tuples_fetched pg_stat_get_xact_tuples_hot_updated pg_stat_get_xact_tuples_inserted
    pg_stat_get_xact_tuples_returned pg_stat_get_xact_tuples_updated`,
  ),
  ...group('read', 'reads a large object already stored in the database', 'lo_get lo_open loread lo_close lo_lseek lo_lseek64 lo_tell lo_tell64'),
  ...group('write', 'advances or sets a sequence', 'nextval setval'),
  ...group('write', 'creates, changes or deletes a large object', 'lo_creat lo_create lo_from_bytea lo_put lo_truncate lo_truncate64 lo_unlink lowrite'),
  ...group('write', 'sends a notification or writes a WAL message other sessions see', 'pg_notify pg_logical_emit_message'),
  ...group('file', 'reads or lists files on the database server', 'pg_read_file pg_read_file_old pg_read_binary_file pg_stat_file pg_ls_dir pg_ls_logdir pg_ls_waldir pg_ls_tmpdir pg_ls_archive_statusdir pg_ls_logicalmapdir pg_ls_logicalsnapdir pg_ls_replslotdir pg_current_logfile pg_hba_file_rules pg_ident_file_mappings pg_show_all_file_settings pg_logdir_ls'),
  ...group('file', 'reads a server file into a large object', 'lo_import'),
  ...group('file', 'writes a large object to a server file', 'lo_export'),
  ...group('file', 'writes, renames, deletes or syncs a server file (adminpack)', 'pg_file_write pg_file_rename pg_file_unlink pg_file_sync'),
  ...group('admin', 'changes a setting of the session or server', 'set_config setseed pg_reload_conf'),
  ...group('admin', 'signals or stops other sessions', 'pg_cancel_backend pg_terminate_backend pg_log_backend_memory_contexts'),
  ...group(
    'admin',
    'administers the server: logs, WAL, backups, recovery, replication or statistics',
    `pg_rotate_logfile pg_rotate_logfile_old pg_backup_start pg_backup_stop pg_create_restore_point pg_switch_wal pg_promote
    pg_wal_replay_pause pg_wal_replay_resume pg_stat_reset pg_stat_reset_replication_slot pg_stat_reset_shared
    pg_stat_reset_single_function_counters pg_stat_reset_single_table_counters pg_stat_reset_slru pg_stat_reset_subscription_stats
    pg_create_logical_replication_slot pg_create_physical_replication_slot pg_copy_logical_replication_slot pg_copy_physical_replication_slot
    pg_drop_replication_slot pg_replication_slot_advance pg_logical_slot_get_changes pg_logical_slot_get_binary_changes
    pg_logical_slot_peek_changes pg_logical_slot_peek_binary_changes pg_replication_origin_advance pg_replication_origin_create
    pg_replication_origin_drop pg_replication_origin_session_reset pg_replication_origin_session_setup pg_replication_origin_xact_reset
    pg_replication_origin_xact_setup pg_nextoid pg_stop_making_pinned_objects brin_summarize_range brin_summarize_new_values
    brin_desummarize_range gin_clean_pending_list`,
  ),
  ...group('ddl', 'creates catalog objects', 'pg_import_system_collations pg_extension_config_dump'),
  ...group('lock', 'takes or releases an advisory lock', 'pg_advisory_lock pg_advisory_lock_shared pg_advisory_unlock pg_advisory_unlock_all pg_advisory_unlock_shared pg_advisory_xact_lock pg_advisory_xact_lock_shared pg_try_advisory_lock pg_try_advisory_lock_shared pg_try_advisory_xact_lock pg_try_advisory_xact_lock_shared'),
  ...group('lock', 'holds the session (and every lock it has) for a time', 'pg_sleep pg_sleep_for pg_sleep_until'),
  ...group(
    'exec',
    'runs SQL the facet cannot see: a query or cursor given as text, or every table of a schema or database',
    `query_to_xml query_to_xml_and_xmlschema query_to_xmlschema cursor_to_xml cursor_to_xmlschema database_to_xml
    database_to_xmlschema database_to_xml_and_xmlschema schema_to_xml schema_to_xmlschema schema_to_xml_and_xmlschema
    table_to_xml table_to_xmlschema table_to_xml_and_xmlschema ts_stat ts_rewrite`,
  ),
  ...group(
    'network',
    'connects to another database server (dblink)',
    `dblink dblink_connect dblink_connect_u dblink_exec dblink_open dblink_fetch dblink_close dblink_send_query dblink_get_result
    dblink_is_busy dblink_cancel_query dblink_error_message dblink_get_notify dblink_disconnect dblink_get_connections`,
  ),
  ...group('read', 'builds SQL text or reads local metadata (dblink helpers)', 'dblink_build_sql_insert dblink_build_sql_update dblink_build_sql_delete dblink_get_pkey dblink_current_query'),
  ...group('network', 'manages connections to foreign servers (postgres_fdw)', 'postgres_fdw_disconnect postgres_fdw_disconnect_all postgres_fdw_get_connections'),
]);

/**
 * PostgreSQL expressions written as SQL syntax that the parse tree names like functions but
 * pg_proc does not hold (`COALESCE(...)`, `CURRENT_USER`): all reads.
 */
export const PG_SYNTAX_FUNCTIONS: ReadonlySet<string> = new Set(
  'coalesce greatest least nullif current_date current_time current_timestamp localtime localtimestamp current_role current_user user session_user current_catalog current_schema system_user'.split(' '),
);

/** SQLite functions of the catalog (or of common extensions outside it) that are not plain reads. */
export const SQLITE_REVIEWED: ReadonlyMap<string, Reviewed> = new Map([
  ...group('read', 'reads the clock, a random source, the connection state or the build', 'random randomblob changes total_changes last_insert_rowid current_date current_time current_timestamp sqlite_version sqlite_source_id sqlite_compileoption_get sqlite_compileoption_used'),
  ...group('read', 'aggregate or window function', 'avg count group_concat max min sum total string_agg median percentile percentile_cont percentile_disc cume_dist dense_rank first_value lag last_value lead nth_value ntile percent_rank rank row_number'),
  ...group('read', 'full-text or R*Tree query helper', 'bm25 highlight snippet offsets matchinfo match fts5_get_locale fts5_insttoken fts5_locale rtreecheck rtreedepth rtreenode geopoly_debug'),
  ...group('read', 'table-valued function that reads (JSON, pragma, series)', 'json_each json_tree jsonb_each jsonb_tree generate_series'),
  ...group('admin', 'writes to the SQLite error log', 'sqlite_log'),
  ...group('exec', 'loads a shared library into the database process', 'load_extension'),
  ...group('exec', 'registers a tokenizer by pointer (fts3_tokenizer with two arguments runs code at that address)', 'fts3_tokenizer'),
  ...group('exec', 'FTS5 control function', 'fts5 optimize'),
  ...group('file', 'reads a file or lists a directory (fileio extension)', 'readfile fsdir zipfile'),
  ...group('file', 'writes a file (fileio extension)', 'writefile'),
  ...group('exec', 'runs an editor or SQL text (shell and eval extensions)', 'edit eval'),
  ...group('read', 'formats data (shell and sqlar extensions)', 'lsmode sqlar_compress sqlar_uncompress'),
]);

/** MySQL and MariaDB functions that are not plain reads. */
export const MYSQL_REVIEWED: ReadonlyMap<string, Reviewed> = new Map([
  ...group('file', 'reads a file on the database server', 'load_file'),
  ...group('lock', 'takes, releases or waits for a named lock', 'get_lock release_lock release_all_locks'),
  ...group('lock', 'holds the session for a time or until replication catches up', 'sleep benchmark master_pos_wait source_pos_wait wait_for_executed_gtid_set wait_until_sql_thread_after_gtids master_gtid_wait wsrep_sync_wait_upto_gtid'),
  ...group('write', 'advances or sets a sequence (MariaDB)', 'nextval setval'),
  ...group('exec', 'runs SQL on a remote server (MariaDB Spider)', 'spider_direct_sql spider_bg_direct_sql spider_copy_tables spider_flush_table_mon_cache'),
]);

/**
 * MySQL 8.4 built-in functions (Reference Manual 14.1, "Built-In Function and Operator
 * Reference", functions only), then MariaDB's additions: everything not in MYSQL_REVIEWED reads.
 */
export const MYSQL_FUNCTIONS: ReadonlySet<string> = new Set(
  `ascii bin bit_length char char_length character_length concat concat_ws elt export_set field find_in_set format from_base64 hex
  insert instr lcase left length load_file locate lower lpad ltrim make_set mid octet_length ord position quote regexp_instr
  regexp_like regexp_replace regexp_substr repeat replace reverse right rpad rtrim soundex space strcmp substr substring
  substring_index to_base64 trim ucase unhex upper weight_string
  abs acos asin atan atan2 ceil ceiling conv cos cot crc32 degrees exp floor ln log log10 log2 mod pi pow power radians rand round
  sign sin sqrt tan truncate
  adddate addtime convert_tz curdate current_date current_time current_timestamp curtime date date_add date_format date_sub datediff
  day dayname dayofmonth dayofweek dayofyear extract from_days from_unixtime get_format hour last_day localtime localtimestamp
  makedate maketime microsecond minute month monthname now period_add period_diff quarter sec_to_time second str_to_date subdate
  subtime sysdate time time_format time_to_sec timediff timestamp timestampadd timestampdiff to_days to_seconds unix_timestamp
  utc_date utc_time utc_timestamp week weekday weekofyear year yearweek
  binary cast convert
  avg bit_and bit_or bit_xor count group_concat json_arrayagg json_objectagg max min std stddev stddev_pop stddev_samp sum var_pop
  var_samp variance
  cume_dist dense_rank first_value lag last_value lead nth_value ntile percent_rank rank row_number
  json_array json_array_append json_array_insert json_contains json_contains_path json_depth json_extract json_insert json_keys
  json_length json_merge json_merge_patch json_merge_preserve json_object json_overlaps json_pretty json_quote json_remove
  json_replace json_schema_valid json_schema_validation_report json_search json_set json_storage_free json_storage_size json_table
  json_type json_unquote json_valid json_value member_of
  aes_decrypt aes_encrypt compress md5 random_bytes sha sha1 sha2 statement_digest statement_digest_text uncompress
  uncompressed_length validate_password_strength
  benchmark charset coercibility collation connection_id current_role current_user database found_rows icu_version last_insert_id
  roles_graphml row_count schema session_user system_user user version
  get_lock is_free_lock is_used_lock release_all_locks release_lock
  any_value bin_to_uuid default grouping inet_aton inet_ntoa inet6_aton inet6_ntoa is_ipv4 is_ipv4_compat is_ipv4_mapped is_ipv6
  is_uuid name_const sleep uuid uuid_short uuid_to_bin values bit_count extractvalue updatexml
  gtid_subset gtid_subtract wait_for_executed_gtid_set wait_until_sql_thread_after_gtids source_pos_wait master_pos_wait
  format_bytes format_pico_time ps_current_thread_id ps_thread_id
  if ifnull nullif coalesce greatest least interval isnull
  geometrycollection linestring multilinestring multipoint multipolygon point polygon mbrcontains mbrcoveredby mbrcovers mbrdisjoint
  mbrequals mbrintersects mbroverlaps mbrtouches mbrwithin
  nextval lastval setval column_add column_check column_create column_delete column_exists column_get column_json column_list
  decode_histogram json_detailed json_loose json_compact json_exists json_query json_equals json_normalize json_array_intersect
  json_object_filter_keys json_object_to_array json_key_value natural_sort_key sformat to_char chr lengthb oct sys_guid kdf
  master_gtid_wait binlog_gtid_pos wsrep_last_seen_gtid wsrep_last_written_gtid wsrep_sync_wait_upto_gtid median percentile_cont
  percentile_disc decode encode des_decrypt des_encrypt encrypt old_password password crc32c
  spider_direct_sql spider_bg_direct_sql spider_copy_tables spider_flush_table_mon_cache`
    .split(/\s+/)
    .filter((n) => n !== ''),
);

/** MySQL spatial functions all start with `st_` (Reference Manual 14.16); they compute on values. */
export const MYSQL_READ_PREFIXES: readonly string[] = ['st_'];

/**
 * SQLite pragmas that only report (the "PRAGMA name" query form); any other pragma, and any
 * pragma given a value, changes the database or the connection. From sqlite.org/pragma.html.
 */
export const SQLITE_READ_PRAGMAS: ReadonlySet<string> = new Set(
  `analysis_limit application_id auto_vacuum automatic_index busy_timeout cache_size cache_spill cell_size_check
  checkpoint_fullfsync collation_list compile_options data_version database_list encoding foreign_key_check foreign_key_list
  foreign_keys freelist_count fullfsync function_list hard_heap_limit ignore_check_constraints index_info index_list index_xinfo
  integrity_check journal_mode journal_size_limit legacy_alter_table locking_mode max_page_count mmap_size module_list page_count
  page_size pragma_list query_only quick_check read_uncommitted recursive_triggers reverse_unordered_selects schema_version
  secure_delete soft_heap_limit synchronous table_info table_list table_xinfo temp_store threads trusted_schema user_version wal_autocheckpoint`
    .split(/\s+/)
    .filter((n) => n !== ''),
);
