"""VXP-compatible API: wire primitives (node and client) and an SDK-compatible async client.

See docs/vxp-client.md and spec/vxp-api.md. The public names are re-exported here.
"""

from connectors.vxp.client import VxpClient, VxpReply
from connectors.vxp.errors import (
    VxpError,
    VxpFailure,
    VxpHashFileError,
    VxpHeaderError,
    VxpParamError,
    VxpRequestError,
    VxpResponseError,
    VxpTimestampError,
    VxpTransportError,
)
from connectors.vxp.models import Agency, Envelope, ReceivedEdoc, SentEdoc, SynchronizeUnit
from connectors.vxp.protocol import HEADER_PREFIX, AckStatus, Action, MessageType
from connectors.vxp.request import SdkRequestBuilder
from connectors.vxp.retry import NO_RETRY, RetryPolicy

__all__ = [
    "HEADER_PREFIX",
    "NO_RETRY",
    "AckStatus",
    "Action",
    "Agency",
    "Envelope",
    "MessageType",
    "ReceivedEdoc",
    "RetryPolicy",
    "SdkRequestBuilder",
    "SentEdoc",
    "SynchronizeUnit",
    "VxpClient",
    "VxpError",
    "VxpFailure",
    "VxpHashFileError",
    "VxpHeaderError",
    "VxpParamError",
    "VxpReply",
    "VxpRequestError",
    "VxpResponseError",
    "VxpTimestampError",
    "VxpTransportError",
]
