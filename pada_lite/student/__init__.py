"""The model that learns: the profiles, the three model builders (tiny, smollm2, llama_shaped),
loading and 4-bit quantization, fine-tuning with QLoRA (sft), evaluation and the workflow over both.
Names below import on first use, so importing the folder is instant."""
from pada_lite._names import exports

__all__, __getattr__, __dir__ = exports(
    __name__,
    load="LORA_TARGETS device compute_dtype bnb_config student_source fix_special_tokens load_tokenizer load_student "
         "PACKED_BLOCK has_packed_kernel set_cpu_4bit_path cpu_4bit_paths add_lora trainable_parameters save_adapter "
         "load_adapter gpu_memory",
    workflow="Workflow",
    profiles="PROFILES Profile")
