"""The model that learns: the profiles, the three model builders (tiny, smollm2, llama_shaped),
loading and 4-bit quantization, fine-tuning with QLoRA (sft), evaluation and the workflow over both.
Names below import on first use, so importing the folder is instant."""
from pada_lite._names import exports

_NAMES = {
    "LORA_TARGETS": "load",
    "device": "load",
    "compute_dtype": "load",
    "bnb_config": "load",
    "student_source": "load",
    "fix_special_tokens": "load",
    "load_tokenizer": "load",
    "load_student": "load",
    "PACKED_BLOCK": "load",
    "has_packed_kernel": "load",
    "set_cpu_4bit_path": "load",
    "cpu_4bit_paths": "load",
    "add_lora": "load",
    "trainable_parameters": "load",
    "save_adapter": "load",
    "load_adapter": "load",
    "gpu_memory": "load",
    "Workflow": "workflow",
    "PROFILES": "profiles",
    "Profile": "profiles",
}
__all__ = list(_NAMES)
__getattr__, __dir__ = exports(__name__, _NAMES)
