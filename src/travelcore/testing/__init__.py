"""Contract suites for travelcore's ports, shipped so that third-party adapters reuse them.

Each suite is a pytest base class whose tests talk only to the port; subclass it and provide
the fixture it names (for example ``uow_factory``) to run it against your adapter.
"""

from travelcore.testing.accounts import (
    AccountRepositoriesContract,
    PasswordHasherContract,
    SecretBoxContract,
)
from travelcore.testing.activity_reader import ActivityReaderContract
from travelcore.testing.apikeys import ApiKeyRepositoryContract
from travelcore.testing.audit import AuditLogContract
from travelcore.testing.billing import (
    BillingRepositoriesContract,
    InvoiceRepositoryContract,
    PayoutRepositoryContract,
)
from travelcore.testing.booking import BookingRepositoryContract, WaitlistRepositoryContract
from travelcore.testing.booking_machine import booking_machine
from travelcore.testing.catalog import (
    ActivityRepositoryContract,
    ScheduleRepositoryContract,
    SessionRepositoryContract,
    VenueRepositoryContract,
)
from travelcore.testing.consent import ConsentContract
from travelcore.testing.consent_machine import ConsentMachine, consent_machine
from travelcore.testing.discovery import PlacesContract, SearchLogRepositoryContract
from travelcore.testing.discovery_repositories import (
    FavouriteRepositoryContract,
    FeedbackRepositoryContract,
    MemoryEntryRepositoryContract,
    ReviewRepositoryContract,
    SuggestionRepositoryContract,
    WrittenOnceContract,
)
from travelcore.testing.entity_repositories import (
    AccountRepositoryContract,
    ConversationRepositoryContract,
    CorporateSubscriptionRepositoryContract,
    CredentialRepositoryContract,
    CreditBalanceRepositoryContract,
    ItineraryRepositoryContract,
    PaymentRepositoryContract,
    PolicyRuleRepositoryContract,
    ReminderRepositoryContract,
    TenantRepositoryContract,
    TravelPreferencesRepositoryContract,
    TripRepositoryContract,
)
from travelcore.testing.erasure import ErasureContract
from travelcore.testing.export import ExportContract
from travelcore.testing.feedback import FeedbackContract
from travelcore.testing.flags import FeatureFlagRepositoryContract
from travelcore.testing.invitations import (
    InvitationRepositoryContract,
    InvitationServiceContract,
)
from travelcore.testing.ledger import LedgerRepositoryContract, SubscriptionRepositoryContract
from travelcore.testing.ledger_machine import LedgerMachine, ledger_machine
from travelcore.testing.moderation import ModerationContract
from travelcore.testing.notifications import (
    NotificationRepositoryContract,
    PreferenceRepositoryContract,
    TemplateRepositoryContract,
)
from travelcore.testing.outbox import OutboxContract
from travelcore.testing.payments import (
    PaymentGatewayContract,
    PaymentRepositoriesContract,
    StripeSigner,
    WebhookSigner,
)
from travelcore.testing.people import (
    ChildRepositoryContract,
    CorporateRepositoryContract,
    UserRepositoryContract,
)
from travelcore.testing.personal import PersonalContract
from travelcore.testing.repositories import RepositoryContract
from travelcore.testing.retention import RetentionContract
from travelcore.testing.scoring import VenueScoringContract
from travelcore.testing.settings import PlatformSettingsRepositoryContract
from travelcore.testing.suggestions import SuggestionsContract
from travelcore.testing.travel import TravelRepositoriesContract
from travelcore.testing.uow import UnitOfWorkContract
from travelcore.testing.vector_sync import VectorSyncRepositoryContract
from travelcore.testing.vectors import TextSearchContract, VectorStoreContract

__all__ = [
    "AccountRepositoriesContract",
    "AccountRepositoryContract",
    "ActivityReaderContract",
    "ActivityRepositoryContract",
    "ApiKeyRepositoryContract",
    "AuditLogContract",
    "BillingRepositoriesContract",
    "BookingRepositoryContract",
    "ChildRepositoryContract",
    "ConsentContract",
    "ConsentMachine",
    "ConversationRepositoryContract",
    "CorporateRepositoryContract",
    "CorporateSubscriptionRepositoryContract",
    "CredentialRepositoryContract",
    "CreditBalanceRepositoryContract",
    "ErasureContract",
    "ExportContract",
    "FavouriteRepositoryContract",
    "FeatureFlagRepositoryContract",
    "FeedbackContract",
    "FeedbackRepositoryContract",
    "InvitationRepositoryContract",
    "InvitationServiceContract",
    "InvoiceRepositoryContract",
    "ItineraryRepositoryContract",
    "LedgerMachine",
    "LedgerRepositoryContract",
    "MemoryEntryRepositoryContract",
    "ModerationContract",
    "NotificationRepositoryContract",
    "OutboxContract",
    "PasswordHasherContract",
    "PaymentGatewayContract",
    "PaymentRepositoriesContract",
    "PaymentRepositoryContract",
    "PayoutRepositoryContract",
    "PersonalContract",
    "PlacesContract",
    "PlatformSettingsRepositoryContract",
    "PolicyRuleRepositoryContract",
    "PreferenceRepositoryContract",
    "ReminderRepositoryContract",
    "RepositoryContract",
    "RetentionContract",
    "ReviewRepositoryContract",
    "ScheduleRepositoryContract",
    "SearchLogRepositoryContract",
    "SecretBoxContract",
    "SessionRepositoryContract",
    "StripeSigner",
    "SubscriptionRepositoryContract",
    "SuggestionRepositoryContract",
    "SuggestionsContract",
    "TemplateRepositoryContract",
    "TenantRepositoryContract",
    "TextSearchContract",
    "TravelPreferencesRepositoryContract",
    "TravelRepositoriesContract",
    "TripRepositoryContract",
    "UnitOfWorkContract",
    "UserRepositoryContract",
    "VectorStoreContract",
    "VectorSyncRepositoryContract",
    "VenueRepositoryContract",
    "VenueScoringContract",
    "WaitlistRepositoryContract",
    "WebhookSigner",
    "WrittenOnceContract",
    "booking_machine",
    "consent_machine",
    "ledger_machine",
]
