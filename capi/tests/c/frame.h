/* Prints a frame as upstream's examples do: instance @ module offset =
 * function index . function offset. */
static void print_frame(wasm_frame_t* frame) {
  printf("> %p @ 0x%zx = %" PRIu32 ".0x%zx\n", (void*)wasm_frame_instance(frame), wasm_frame_module_offset(frame),
         wasm_frame_func_index(frame), wasm_frame_func_offset(frame));
}

static void print_trap(wasm_trap_t* trap) {
  printf("Printing message...\n");
  wasm_message_t message;
  wasm_trap_message(trap, &message);
  printf("> %s\n", message.data);
  wasm_name_delete(&message);

  printf("Printing origin...\n");
  wasm_frame_t* frame = wasm_trap_origin(trap);
  if (frame) {
    print_frame(frame);
    wasm_frame_delete(frame);
  } else {
    printf("> Empty origin.\n");
  }

  printf("Printing trace...\n");
  wasm_frame_vec_t trace;
  wasm_trap_trace(trap, &trace);
  if (trace.size > 0) {
    for (size_t i = 0; i < trace.size; ++i) print_frame(trace.data[i]);
  } else {
    printf("> Empty trace.\n");
  }
  wasm_frame_vec_delete(&trace);
}
