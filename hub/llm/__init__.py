"""A client for the OpenAI-compatible chat API (llama.cpp's server, Ollama, vLLM, LocalAI):
chat completions with tools, tool choice, response formats and images, and the model list.
The agents use it; so will the AI services. See docs/agents.md.
"""

from hub.llm.client import ChatClient, ChatSettings, parse_reply
from hub.llm.messages import (
    ChatReply,
    Message,
    ToolCall,
    Usage,
    function_tool,
    image_part,
    system,
    tool_result,
    user,
)

__all__ = [
    "ChatClient",
    "ChatReply",
    "ChatSettings",
    "Message",
    "ToolCall",
    "Usage",
    "function_tool",
    "image_part",
    "parse_reply",
    "system",
    "tool_result",
    "user",
]
