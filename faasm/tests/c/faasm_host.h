/* The Faasm host interface as wasm imports (env.__faasm_*), with the
 * signatures of Faasm's faasm/host_interface.h (long is 32 bits on wasm32). */
#ifndef FAASM_HOST_H
#define FAASM_HOST_H

#define FAASM_IMPORT(name) __attribute__((import_module("env"), import_name(#name)))

FAASM_IMPORT(__faasm_read_input) long __faasm_read_input(unsigned char *buffer, long bufferLen);
FAASM_IMPORT(__faasm_write_output) void __faasm_write_output(const char *output, long outputLen);
FAASM_IMPORT(__faasm_get_idx) int __faasm_get_idx(void);
FAASM_IMPORT(__faasm_conf_flag) unsigned int __faasm_conf_flag(const char *key);
FAASM_IMPORT(__faasm_chain_name) unsigned int __faasm_chain_name(const char *name, const unsigned char *input, long len);
FAASM_IMPORT(__faasm_chain_ptr) unsigned int __faasm_chain_ptr(int (*f)(void), const unsigned char *input, long len);
FAASM_IMPORT(__faasm_await_call) int __faasm_await_call(unsigned int id);
FAASM_IMPORT(__faasm_await_call_output) int __faasm_await_call_output(unsigned int id, char **output, int *outputLen);
FAASM_IMPORT(__faasm_read_state) long __faasm_read_state(const char *key, unsigned char *buffer, long bufferLen);
FAASM_IMPORT(__faasm_read_state_offset) void __faasm_read_state_offset(const char *key, long totalLen, long offset, unsigned char *buffer, long bufferLen);
FAASM_IMPORT(__faasm_write_state) void __faasm_write_state(const char *key, const unsigned char *data, long dataLen);
FAASM_IMPORT(__faasm_write_state_offset) void __faasm_write_state_offset(const char *key, long totalLen, long offset, const unsigned char *data, long dataLen);
FAASM_IMPORT(__faasm_append_state) void __faasm_append_state(const char *key, const unsigned char *data, long dataLen);
FAASM_IMPORT(__faasm_read_appended_state) void __faasm_read_appended_state(const char *key, unsigned char *data, long dataLen, long nElems);
FAASM_IMPORT(__faasm_clear_appended_state) void __faasm_clear_appended_state(const char *key);
FAASM_IMPORT(__faasm_push_state) void __faasm_push_state(const char *key);
FAASM_IMPORT(__faasm_pull_state) void __faasm_pull_state(const char *key, long stateLen);
FAASM_IMPORT(__faasm_lock_state_write) void __faasm_lock_state_write(const char *key);
FAASM_IMPORT(__faasm_unlock_state_write) void __faasm_unlock_state_write(const char *key);

#endif
